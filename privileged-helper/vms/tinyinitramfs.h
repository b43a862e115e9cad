#pragma once

#include "result.h"

#include <QByteArray>
#include <QString>

namespace Hamlet::Vms {

// The initramfs of the built-in tiny VM: the host's static busybox and an /init that mounts
// /proc, /sys and /dev, prints a banner with the kernel version on the serial console and keeps a
// root shell on it (respawned when it exits). It needs no kernel modules: the 8250 serial driver
// is built into Debian's kernels. With the host's kernel it is a whole VM made of nothing the user
// had to download.
namespace TinyInitramfs {

// The kernel command line that goes with it: the console on the first serial port, no boot
// chatter (the banner is the first line a user sees), and a panic powers off instead of hanging.
inline const QString KernelCommandLine = QStringLiteral("console=ttyS0 quiet panic=-1");

// The banner's fixed part; the guest appends its kernel release ("Linux 6.1.0-...").
inline const QString BannerPrefix = QStringLiteral("Hamlet tiny VM: Linux ");

QByteArray initScript();

// The archive, from the bytes of a statically linked busybox. Deterministic.
QByteArray build(const QByteArray &busybox);

// Makes sure STATE/vms/tiny-initramfs.img holds build(busybox) and returns its path. Rewrites it
// (atomically) only when the busybox changed, so running VMs keep a stable file.
Result<QString> ensure(const QString &stateDir, const QString &busyboxPath);

} // namespace TinyInitramfs

} // namespace Hamlet::Vms
