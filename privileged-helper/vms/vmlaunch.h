#pragma once

#include "domainfacts.h"
#include "libvirtsupport.h"
#include "ownerfiles.h"
#include "result.h"
#include "uniquefd.h"
#include "vmspec.h"

#include <optional>
#include <sys/types.h>

namespace Hamlet::Vms {

// Every start of a VM (the one in create, Start, Restart, autostart) goes through here: the files
// the VM boots from are opened as the uid that owns them (ownerfiles.h), checked, the kernel and
// initrd copied where QEMU's user can read them, and the disk and CD handed to libvirt as fds
// (virDomainFDAssociate, libvirt 9.0+) just before virDomainCreate. The fds are held only for
// that call: libvirt passes them to QEMU (-add-fd, /dev/fdset) and nothing outlives a restart of
// the helper. The same path serves the embedded driver (QEMU as root) and qemu:///system (QEMU as
// libvirt-qemu, which could not open the owner's files by path anyway).
struct VmFiles {
    QString name;
    VmSource source = VmSource::Tiny;
    std::optional<uint> ownerUid;
    QString kernel; // as given: the owner's (kernel VMs) or the helper's (the tiny VM's host kernel)
    QString initrd;
    QString disk;
    bool diskOwnedByHamlet = false; // Hamlet's own qcow2 (iso VMs): opened as root
    QString iso;
};

struct LaunchContext {
    QString guestFilesDir; // the parent of every VM's staged kernel/initrd directory
    gid_t qemuGroup = 0; // the group QEMU runs as: the staged copies are readable by it
};

struct OpenedVmFiles {
    UniqueFd disk;
    UniqueFd cdrom;
    DiskFormat diskFormat = DiskFormat::Raw;
};

VmFiles vmFilesOf(const VmSpec &spec);
// For a defined domain: the tiny and image VMs' files are the helper's current host kernel and
// the initramfs made for this start.
VmFiles vmFilesOf(const QString &name, const DomainFacts &facts, const QString &hostKernel,
                  const QString &helperInitramfs);

// The directory of one VM's staged kernel and initrd (what its domain XML names).
QString guestFilesDirOf(const QString &guestFilesDir, const QString &name);
// The group of the QEMU processes of a libvirt daemon: Debian's libvirt-qemu (root for the
// embedded driver, which runs QEMU as root).
gid_t qemuGroupFor(bool embedded);

// Opens, checks and stages (blocking). InvalidArgument names the file and why.
Result<OpenedVmFiles> openVmFiles(const VmFiles &files, const LaunchContext &context);
// Associates the opened disk and CD with the domain, then starts it.
Result<void> startWithFiles(virDomainPtr domain, OpenedVmFiles &files, const QString &name);
// Removes a VM's staged files (at delete).
void removeGuestFiles(const LaunchContext &context, const QString &name);

} // namespace Hamlet::Vms
