#pragma once

#include "capabilities.h"

#include <QString>

// Detects what this host can do, once, at helper start. Each probe tries the real thing (runs
// the runtime, starts a KVM guest, reads ELF headers) instead of guessing from file presence.
namespace Hamlet::HostProbe {

struct Options {
    QString stateDir;
    QString runtimeOverride; // --runtime: use this runtime binary
    QString libvirtUriOverride; // --libvirt-uri
};

Capabilities probe(const Options &options);

// "v2" when /sys/fs/cgroup is cgroup2; "hybrid" when it holds v1 controllers and a cgroup2 tree
// at /sys/fs/cgroup/unified; "v1" otherwise.
QString cgroupVersion(const QString &cgroupRoot = QStringLiteral("/sys/fs/cgroup"));

// crun on a pure v2 host (runc also works there), runc otherwise (crun 1.8 fails on hybrid).
QString chooseRuntime(const QString &cgroupVersion);
QString runtimeVersion(const QString &runtimePath);

// True when a one-instruction guest (hlt) really runs under /dev/kvm; otherwise *why says why.
bool kvmWorks(QString *why);

// Path of a statically linked busybox, or "".
QString findStaticBusybox();
bool isStaticElf(const QString &path);

// Newest readable x86 bzImage under bootDir ("HdrS" boot protocol signature), or "".
QString findBootableKernel(const QString &bootDir = QStringLiteral("/boot"));

// qemu:///system when a libvirt daemon accepts connections on its socket, else the embedded
// driver rooted in the state dir.
QString libvirtUri(const QString &stateDir);

} // namespace Hamlet::HostProbe
