#pragma once

#include "result.h"
#include "uniquefd.h"
#include "vmspec.h"

#include <QList>
#include <QString>

#include <sys/types.h>
#include <vector>

namespace Hamlet::Vms {

// The files a VM's owner brought (disk, ISO, kernel, initrd) are opened with the owner's own
// credentials at every start, never by path as root: a file swapped for a symlink to /root/secret
// after create then fails to open, instead of being handed to QEMU.
//
// How: a short-lived child process, forked for the purpose, drops to the owner's uid, primary
// group and supplementary groups, opens each path and hands the fds back over a socketpair
// (SCM_RIGHTS). A child rather than setfsuid() in a thread because supplementary groups are
// per process in glibc (setgroups() is broadcast to every thread), so a thread could not take
// the owner's groups without lending them to the whole helper for that moment; the child also
// cannot leave a helper thread with the wrong credentials if anything goes wrong.
struct OwnerFile {
    QString key; // "disk", "iso", "kernel", "initrd": for messages
    QString path;
    bool writable = false; // O_RDWR (a disk the VM writes), else O_RDONLY
};

// Opens every file as uid (blocking: call it off the Qt thread). Each fd is a regular file (or,
// for a writable disk, a block device), not empty. On the first failure, an InvalidArgument
// error that names the file and the reason, and no fd is kept.
Result<std::vector<UniqueFd>> openAsOwner(uid_t uid, const QList<OwnerFile> &files);

// qcow2 (by its magic) or raw, read from an open fd.
DiskFormat detectDiskFormat(int fd);

// Why this disk image must not be handed to QEMU, or nullopt. The header is the caller's bytes,
// so only its fixed fields are read, with bounds: a qcow2 that names a backing file, or
// (version 3) an external data file, is refused outright, because QEMU would open that path
// itself, with its own (root, or libvirt-qemu) credentials instead of the owner's. A caller who
// wants such an image flattens it first (qemu-img convert).
std::optional<ErrorReply> diskImageProblem(int fd, const QString &path);

// Copies what fd refers to into path (temp file, then rename) with the given mode and group, so
// QEMU's user can read it and nothing else of the owner's is reachable. Blocking.
Result<void> copyToGuestFile(int fd, const QString &path, gid_t group, mode_t mode);

} // namespace Hamlet::Vms
