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
    QString probeCache; // where the KVM verdict is kept for this boot ("" = do not cache)
};

Capabilities probe(const Options &options);

// "v2" when /sys/fs/cgroup is cgroup2; "hybrid" when it holds v1 controllers and a cgroup2 tree
// at /sys/fs/cgroup/unified; "v1" otherwise.
QString cgroupVersion(const QString &cgroupRoot = QStringLiteral("/sys/fs/cgroup"));

// crun on a pure v2 host (runc also works there), runc otherwise (crun 1.8 fails on hybrid).
QString chooseRuntime(const QString &cgroupVersion);
QString runtimeVersion(const QString &runtimePath);

// True when a one-instruction guest (hlt) really runs under /dev/kvm; otherwise *why says why.
bool kvmRunsHalt(QString *why);
// True when QEMU with -accel kvm starts booting the given kernel (it prints its banner on the
// serial port). Some nested setups pass the ioctl probe but hang or abort on a real kernel.
bool kvmBootsKernel(const QString &kernel, QString *why);
// Both probes, the verdict cached in cacheFile for the current boot (keyed by boot id and kernel).
bool kvmWorks(const QString &kernel, const QString &cacheFile, QString *why);

// Path of a statically linked busybox, or "".
QString findStaticBusybox();
bool isStaticElf(const QString &path);

// <0, 0, >0 like strcmp, with digit runs compared as numbers ("vmlinuz-6.1.0-11" after "-9").
int compareVersions(const QString &a, const QString &b);

// Newest readable x86 bzImage under bootDir ("HdrS" boot protocol signature), or "".
QString findBootableKernel(const QString &bootDir = QStringLiteral("/boot"));

// qemu:///system when a libvirt daemon accepts connections on its socket, else the embedded
// driver rooted in the state dir.
QString libvirtUri(const QString &stateDir);

} // namespace Hamlet::HostProbe
