#include "newcarchive.h"
#include "tinyinitramfs.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Hamlet::Vms;

namespace {
bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}
} // namespace

// The tiny VM's initramfs as a file: a valid newc archive with what the kernel needs, built the
// same way every time. (tst_tinyvmboot boots it.)
class TestTinyInitramfs : public QObject
{
    Q_OBJECT

    // Lists an archive with GNU cpio, the reference reader of the format.
    static QStringList cpioListing(const QByteArray &archive)
    {
        QProcess cpio;
        cpio.start(QStringLiteral("cpio"), {QStringLiteral("-itv"), QStringLiteral("--quiet")});
        cpio.write(archive);
        cpio.closeWriteChannel();
        if (!cpio.waitForFinished(30000) || cpio.exitCode() != 0)
            return {QStringLiteral("cpio failed: ") + QString::fromLocal8Bit(cpio.readAllStandardError())};
        return QString::fromLocal8Bit(cpio.readAllStandardOutput()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    }

private Q_SLOTS:
    void newcArchive_isReadByGnuCpio()
    {
        NewcArchive archive;
        archive.addDirectory(QStringLiteral("etc"));
        archive.addFile(QStringLiteral("etc/motd"), "hello\n");
        archive.addSymlink(QStringLiteral("etc/link"), QStringLiteral("motd"));
        archive.addCharacterDevice(QStringLiteral("console"), 5, 1);
        const QByteArray bytes = archive.finish();
        QCOMPARE(bytes.size() % 512, 0);
        const QStringList listing = cpioListing(bytes);
        QCOMPARE(listing.size(), 4);
        QVERIFY2(listing.at(0).startsWith(QStringLiteral("drwxr-xr-x")), qPrintable(listing.at(0)));
        QVERIFY(listing.at(1).endsWith(QStringLiteral("etc/motd")));
        QVERIFY(listing.at(2).endsWith(QStringLiteral("etc/link -> motd")));
        QVERIFY2(listing.at(3).startsWith(QStringLiteral("crw-------")), qPrintable(listing.at(3)));
        QVERIFY2(listing.at(3).contains(QStringLiteral("5,")), qPrintable(listing.at(3)));
    }

    void build_containsBusyboxInitAndConsole()
    {
        const QByteArray busybox("not really busybox");
        const QStringList listing = cpioListing(TinyInitramfs::build(busybox));
        const QString all = listing.join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QStringLiteral("bin/busybox")), qPrintable(all));
        QVERIFY(all.contains(QStringLiteral("bin/sh -> busybox")));
        QVERIFY(all.contains(QStringLiteral(" init")));
        QVERIFY(all.contains(QStringLiteral("dev/console")));
        QVERIFY(TinyInitramfs::initScript().contains("Hamlet tiny VM: Linux $(uname -r)"));
        QVERIFY(TinyInitramfs::initScript().contains("/dev/ttyS0"));
    }

    void networkModules_comeInLoadOrder_andGoIntoTheArchive()
    {
        // A modules tree of our own: virtio_net needs net_failover, which needs failover; both
        // need virtio and virtio_ring, which virtio_pci loads first.
        QTemporaryDir modules;
        QVERIFY(modules.isValid());
        const QString dep = QStringLiteral(
            "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio.ko "
            "kernel/drivers/virtio/virtio_ring.ko\n"
            "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko "
            "kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
            "kernel/drivers/virtio/virtio.ko:\nkernel/drivers/virtio/virtio_ring.ko:\n"
            "kernel/net/core/failover.ko:\nkernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\n");
        QVERIFY(writeFile(modules.path() + QStringLiteral("/modules.dep"), dep.toUtf8()));
        for (const QString &module : dep.split(QRegularExpression(QStringLiteral("[:\\s]+")), Qt::SkipEmptyParts)) {
            QVERIFY(QDir().mkpath(QFileInfo(modules.path() + QLatin1Char('/') + module).path()));
            QVERIFY(writeFile(modules.path() + QLatin1Char('/') + module, module.toUtf8()));
        }
        QStringList order;
        for (const TinyInitramfs::Module &module : TinyInitramfs::networkModules(modules.path()))
            order << module.fileName;
        QCOMPARE(order,
                 (QStringList {QStringLiteral("00-virtio_ring.ko"), QStringLiteral("01-virtio.ko"),
                               QStringLiteral("02-virtio_pci.ko"), QStringLiteral("03-failover.ko"),
                               QStringLiteral("04-net_failover.ko"), QStringLiteral("05-virtio_net.ko")}));
        const QString all = cpioListing(TinyInitramfs::build("busybox", TinyInitramfs::networkModules(modules.path())))
                                .join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QStringLiteral("lib/modules/05-virtio_net.ko")), qPrintable(all));
        QVERIFY(all.contains(QStringLiteral("etc/udhcpc.script")));
        QVERIFY(TinyInitramfs::udhcpcScript().contains("/etc/resolv.conf"));
        // No modules.dep (a kernel with everything built in): no modules, still an initramfs.
        QVERIFY(TinyInitramfs::networkModules(modules.path() + QStringLiteral("/none")).isEmpty());
    }

    void build_isDeterministic()
    {
        QCOMPARE(TinyInitramfs::build("abc"), TinyInitramfs::build("abc"));
        QVERIFY(TinyInitramfs::build("abc") != TinyInitramfs::build("abd"));
    }

    void ensure_writesOnceAndKeepsTheFileWhenUnchanged()
    {
        QTemporaryDir state;
        QVERIFY(state.isValid());
        const QString busybox = state.filePath(QStringLiteral("busybox"));
        QFile file(busybox);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("busybox v1");
        file.close();

        const Result<QString> first = TinyInitramfs::ensure(state.path(), busybox);
        QVERIFY2(first.ok(), qPrintable(first.error().message));
        QCOMPARE(first.value(), state.path() + QStringLiteral("/vms/tiny-initramfs.img"));
        const auto inode = [](const QString &path) {
            struct stat status {
            };
            ::stat(QFile::encodeName(path).constData(), &status);
            return status.st_ino;
        };
        const auto firstInode = inode(first.value());
        const Result<QString> again = TinyInitramfs::ensure(state.path(), busybox);
        QVERIFY(again.ok());
        QCOMPARE(inode(again.value()), firstInode);

        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write("busybox v2");
        file.close();
        QVERIFY(TinyInitramfs::ensure(state.path(), busybox).ok());
        QFile image(first.value());
        QVERIFY(image.open(QIODevice::ReadOnly));
        QCOMPARE(image.readAll(), TinyInitramfs::build("busybox v2"));
    }

    void ensure_withoutBusybox_saysWhichPackage()
    {
        const Result<QString> result = TinyInitramfs::ensure(QDir::tempPath(), QString());
        QVERIFY(!result.ok());
        QCOMPARE(result.error().name, Hamlet::Error::Unsupported);
        QVERIFY(result.error().message.contains(QStringLiteral("busybox-static")));
    }
};

QTEST_GUILESS_MAIN(TestTinyInitramfs)
#include "tst_tinyinitramfs.moc"
