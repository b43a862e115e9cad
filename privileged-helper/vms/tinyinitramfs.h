#pragma once

#include "result.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace Hamlet::Vms {

// The initramfs of the built-in tiny VM: the host's static busybox and an /init that mounts
// /proc, /sys and /dev, prints a banner with the kernel version on the serial console and keeps a
// root shell on it (respawned when it exits). It needs no kernel modules: the 8250 serial driver
// is built into Debian's kernels. With the host's kernel it is a whole VM made of nothing the user
// had to download. Its network card is a virtio NIC, whose drivers are modules in Debian's kernels:
// they are copied from the booted kernel's /lib/modules into the archive and loaded by /init, which
// then asks for an address with busybox udhcpc.
namespace TinyInitramfs {

// The kernel command line that goes with it: the console on the first serial port, no boot
// chatter (the banner is the first line a user sees), and a panic powers off instead of hanging.
inline const QString KernelCommandLine = QStringLiteral("console=ttyS0 quiet panic=-1");

// The banner's fixed part; the guest appends its kernel release ("Linux 6.1.0-...").
inline const QString BannerPrefix = QStringLiteral("Hamlet tiny VM: Linux ");

// What /init prints when udhcpc got an address: the prefix, then "eth0 10.90.0.5".
inline const QString AddressPrefix = QStringLiteral("Hamlet tiny VM address: ");

QByteArray initScript();
// The udhcpc script (/etc/udhcpc.script): sets the address, the default route and resolv.conf.
QByteArray udhcpcScript();

struct Module {
    QString fileName; // "virtio_net.ko"
    QByteArray bytes;
};
// The modules the NIC needs (virtio_pci, virtio_net and what they depend on), in load order, read
// from modulesDir (/lib/modules/RELEASE) by its modules.dep; empty when they are built in or absent
// (then the VM has no network, but boots). Compressed modules are left out: busybox's insmod
// cannot load them.
QList<Module> networkModules(const QString &modulesDir);
// The same for any modules (by name, "virtio_blk"), each after what it depends on.
QList<Module> modulesFor(const QString &modulesDir, const QStringList &names);

// The archive, from the bytes of a statically linked busybox and the modules. Deterministic.
QByteArray build(const QByteArray &busybox, const QList<Module> &modules = {});

// Makes sure STATE/vms/tiny-initramfs.img holds build(busybox, the network modules of the kernel)
// and returns its path. Rewrites it (atomically) only when it changed, so running VMs keep a
// stable file.
Result<QString> ensure(const QString &stateDir, const QString &busyboxPath, const QString &kernelPath = {});

} // namespace TinyInitramfs

} // namespace Hamlet::Vms
