#include "tinyinitramfs.h"

#include "domainfacts.h"
#include "logging.h"
#include "newcarchive.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QSaveFile>

namespace Hamlet::Vms::TinyInitramfs {

QByteArray initScript()
{
    // Applet links are made at boot by busybox itself, so the archive does not depend on which
    // applets this busybox was built with. /dev/ttyS0 rather than /dev/console: a shell needs a
    // controlling terminal for job control and ^C, and /dev/console cannot be one.
    return QByteArrayLiteral("#!/bin/busybox sh\n"
                             "/bin/busybox --install -s /bin\n"
                             "export PATH=/bin HOME=/root TERM=vt100\n"
                             "mount -t proc proc /proc\n"
                             "mount -t sysfs sysfs /sys\n"
                             "mount -t devtmpfs devtmpfs /dev\n"
                             "mount -t tmpfs tmpfs /tmp\n"
                             "hostname hamlet-tiny\n"
                             // The NIC's drivers, in dependency order (see networkModules).
                             "for module in /lib/modules/*.ko; do\n"
                             "  [ -e \"$module\" ] && insmod \"$module\"\n"
                             "done\n"
                             "ip link set lo up\n"
                             // udhcpc waits for the first lease (a few tries), then keeps
                             // renewing it in the background; -b: in the background also without.
                             "if ip link show eth0 >/dev/null 2>&1; then\n"
                             "  ip link set eth0 up\n"
                             "  udhcpc -i eth0 -s /etc/udhcpc.script -t 5 -T 2 -b >/dev/null 2>&1\n"
                             "fi\n"
                             "echo \"Hamlet tiny VM: Linux $(uname -r)\"\n"
                             "cd /root\n"
                             "while true; do\n"
                             "  setsid cttyhack sh -l </dev/ttyS0 >/dev/ttyS0 2>&1\n"
                             "  echo \"Hamlet tiny VM: Linux $(uname -r)\"\n"
                             "done\n");
}

QByteArray udhcpcScript()
{
    // What busybox's example default.script does, with ip(8) and without what the tiny VM lacks.
    // $mask is the prefix length, $router and $dns may hold several addresses.
    return QByteArrayLiteral("#!/bin/sh\n"
                             "case \"$1\" in\n"
                             "deconfig)\n"
                             "  ip -4 addr flush dev \"$interface\"\n"
                             "  ;;\n"
                             "bound|renew)\n"
                             "  ip -4 addr replace \"$ip/${mask:-24}\" dev \"$interface\"\n"
                             "  for gateway in $router; do\n"
                             "    ip route replace default via \"$gateway\" dev \"$interface\"\n"
                             "    break\n"
                             "  done\n"
                             "  : >/etc/resolv.conf\n"
                             "  [ -n \"$domain\" ] && echo \"search $domain\" >>/etc/resolv.conf\n"
                             "  for server in $dns; do echo \"nameserver $server\" >>/etc/resolv.conf; done\n"
                             "  [ \"$1\" = bound ] && echo \"Hamlet tiny VM address: $interface $ip\" >/dev/console\n"
                             "  ;;\n"
                             "esac\n"
                             "exit 0\n");
}

QList<Module> networkModules(const QString &modulesDir)
{
    return modulesFor(modulesDir, {QStringLiteral("virtio_pci"), QStringLiteral("virtio_net")});
}

QList<Module> modulesFor(const QString &modulesDir, const QStringList &names)
{
    QFile depFile(modulesDir + QStringLiteral("/modules.dep"));
    if (!depFile.open(QIODevice::ReadOnly))
        return {};
    // "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko ...": the dependencies
    // are listed so that the last must be loaded first (as modprobe does).
    QHash<QString, QStringList> dependencies;
    while (!depFile.atEnd()) {
        const QString line = QString::fromUtf8(depFile.readLine()).trimmed();
        const qsizetype colon = line.indexOf(QLatin1Char(':'));
        if (colon > 0)
            dependencies.insert(line.left(colon), line.mid(colon + 1).split(QLatin1Char(' '), Qt::SkipEmptyParts));
    }
    QStringList order;
    for (const QString &wanted : names) {
        const QString suffix = QStringLiteral("/%1.ko").arg(wanted);
        for (auto it = dependencies.cbegin(); it != dependencies.cend(); ++it) {
            if (!it.key().endsWith(suffix))
                continue;
            QStringList chain = it.value();
            std::reverse(chain.begin(), chain.end());
            chain << it.key();
            for (const QString &module : std::as_const(chain)) {
                if (!order.contains(module))
                    order << module;
            }
        }
    }
    QList<Module> modules;
    for (const QString &module : std::as_const(order)) {
        QFile file(modulesDir + QLatin1Char('/') + module);
        if (!module.endsWith(QStringLiteral(".ko")) || !file.open(QIODevice::ReadOnly))
            return {}; // compressed or unreadable: a partial chain would not load anyway
        modules << Module {QStringLiteral("%1-").arg(modules.size(), 2, 10, QLatin1Char('0'))
                               + module.section(QLatin1Char('/'), -1),
                           file.readAll()};
    }
    return modules;
}

QByteArray build(const QByteArray &busybox, const QList<Module> &modules)
{
    NewcArchive archive;
    for (const QString &directory :
         {QStringLiteral("bin"), QStringLiteral("dev"), QStringLiteral("etc"), QStringLiteral("proc"),
          QStringLiteral("root"), QStringLiteral("sys"), QStringLiteral("tmp")})
        archive.addDirectory(directory, directory == QStringLiteral("tmp") ? 01777 : 0755);
    // The kernel opens /dev/console for init's stdio before /init runs, so it must exist in the
    // archive itself (devtmpfs is mounted over /dev later).
    archive.addCharacterDevice(QStringLiteral("dev/console"), 5, 1);
    archive.addFile(QStringLiteral("bin/busybox"), busybox, 0755);
    archive.addSymlink(QStringLiteral("bin/sh"), QStringLiteral("busybox"));
    archive.addFile(QStringLiteral("etc/profile"), QByteArrayLiteral("PS1='tiny:\\w# '\n"));
    archive.addFile(QStringLiteral("etc/udhcpc.script"), udhcpcScript(), 0755);
    archive.addDirectory(QStringLiteral("lib"), 0755);
    archive.addDirectory(QStringLiteral("lib/modules"), 0755);
    for (const Module &module : modules)
        archive.addFile(QStringLiteral("lib/modules/") + module.fileName, module.bytes, 0644);
    archive.addFile(QStringLiteral("init"), initScript(), 0755);
    return archive.finish();
}

Result<QString> ensure(const QString &stateDir, const QString &busyboxPath, const QString &kernelPath)
{
    if (busyboxPath.isEmpty())
        return failure(Error::Unsupported,
                       QStringLiteral("No statically linked busybox was found, so the tiny VM cannot be built; "
                                      "install the 'busybox-static' package."));
    QFile busyboxFile(busyboxPath);
    if (!busyboxFile.open(QIODevice::ReadOnly))
        return failure(
            Error::Failed,
            QStringLiteral("Cannot read %1 for the tiny VM: %2.").arg(busyboxPath, busyboxFile.errorString()));
    const QString release = kernelPath.isEmpty() ? QString() : kernelReleaseOf(kernelPath);
    const QList<Module> modules
        = release.isEmpty() ? QList<Module> {} : networkModules(QStringLiteral("/lib/modules/") + release);
    const QByteArray image = build(busyboxFile.readAll(), modules);

    const QString directory = stateDir + QStringLiteral("/vms");
    const QString path = directory + QStringLiteral("/tiny-initramfs.img");
    if (!QDir().mkpath(directory))
        return failure(Error::Failed, QStringLiteral("Cannot create the directory %1.").arg(directory));
    QFile existing(path);
    if (existing.open(QIODevice::ReadOnly) && existing.size() == image.size() && existing.readAll() == image)
        return path;

    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(image) != image.size() || !out.commit())
        return failure(Error::Failed,
                       QStringLiteral("Cannot write the tiny VM's initramfs %1: %2.").arg(path, out.errorString()));
    Log::vms()->info("wrote the tiny VM's initramfs {} ({} bytes, busybox {})", path, image.size(), busyboxPath);
    return path;
}

} // namespace Hamlet::Vms::TinyInitramfs
