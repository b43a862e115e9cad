#include "tinyinitramfs.h"

#include "logging.h"
#include "newcarchive.h"

#include <QDir>
#include <QFile>
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
                             "echo \"Hamlet tiny VM: Linux $(uname -r)\"\n"
                             "cd /root\n"
                             "while true; do\n"
                             "  setsid cttyhack sh -l </dev/ttyS0 >/dev/ttyS0 2>&1\n"
                             "  echo \"Hamlet tiny VM: Linux $(uname -r)\"\n"
                             "done\n");
}

QByteArray build(const QByteArray &busybox)
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
    archive.addFile(QStringLiteral("init"), initScript(), 0755);
    return archive.finish();
}

Result<QString> ensure(const QString &stateDir, const QString &busyboxPath)
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
    const QByteArray image = build(busyboxFile.readAll());

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
