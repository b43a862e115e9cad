#include "hostprobe.h"
#include "tinyinitramfs.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace Hamlet;
using namespace Hamlet::Vms;

// Boots the tiny VM's initramfs with the host's kernel under plain QEMU (TCG, no libvirt): the
// banner reaches the serial port and a command typed there is answered. This pins the guest
// half of the tiny VM; tst_vmbackend pins the libvirt half.
class TestTinyVmBoot : public QObject
{
    Q_OBJECT

    // Reads the guest's serial output until it contains text or the timeout passes.
    static bool waitForOutput(QProcess &qemu, QByteArray &seen, const QByteArray &text, int timeoutMs)
    {
        QElapsedTimer timer;
        timer.start();
        while (!seen.contains(text) && timer.elapsed() < timeoutMs) {
            qemu.waitForReadyRead(100);
            seen += qemu.readAllStandardOutput();
        }
        return seen.contains(text);
    }

private Q_SLOTS:
    void tinyVm_printsBannerAndAnswersOnSerial()
    {
        const QString kernel = HostProbe::findBootableKernel();
        QVERIFY2(!kernel.isEmpty(), "no bootable kernel in /boot: install linux-image-amd64");
        QTemporaryDir state;
        QVERIFY(state.isValid());
        const Result<QString> initramfs = TinyInitramfs::ensure(state.path(), HostProbe::findStaticBusybox());
        QVERIFY2(initramfs.ok(), qPrintable(initramfs.error().message));

        QProcess qemu;
        qemu.setProcessChannelMode(QProcess::SeparateChannels);
        QElapsedTimer sinceStart;
        sinceStart.start();
        qemu.start(QStringLiteral("qemu-system-x86_64"),
                   {QStringLiteral("-accel"), QStringLiteral("tcg"), QStringLiteral("-m"), QStringLiteral("128"),
                    QStringLiteral("-nodefaults"), QStringLiteral("-display"), QStringLiteral("none"),
                    QStringLiteral("-serial"), QStringLiteral("stdio"), QStringLiteral("-no-reboot"),
                    QStringLiteral("-kernel"), kernel, QStringLiteral("-initrd"), initramfs.value(),
                    QStringLiteral("-append"), TinyInitramfs::KernelCommandLine});
        QVERIFY2(qemu.waitForStarted(), qPrintable(qemu.errorString()));
        const auto killQemu = qScopeGuard([&qemu] {
            qemu.kill();
            qemu.waitForFinished();
        });

        QByteArray seen;
        QVERIFY2(waitForOutput(qemu, seen, TinyInitramfs::BannerPrefix.toUtf8(), 30000), seen.constData());
        qInfo("banner after %lld ms under TCG (QEMU start to banner)", sinceStart.elapsed());
        QVERIFY2(waitForOutput(qemu, seen, "\n", 5000), seen.constData());
        // The banner names the guest's kernel release, as uname -r inside the guest says it.
        const QRegularExpression banner(QRegularExpression::escape(TinyInitramfs::BannerPrefix)
                                        + QStringLiteral("\\d+\\.\\d+\\S*\\r?\\n"));
        QVERIFY2(banner.match(QString::fromUtf8(seen)).hasMatch(), seen.constData());

        qemu.write("echo hamlet-$((6*7))\n");
        QVERIFY2(waitForOutput(qemu, seen, "hamlet-42", 15000), seen.constData());

        QElapsedTimer sincePoweroff;
        sincePoweroff.start();
        qemu.write("poweroff -f\n");
        QVERIFY2(qemu.waitForFinished(15000), seen.constData());
        qInfo("poweroff -f to QEMU's exit: %lld ms (the guest's own share of a power-off)", sincePoweroff.elapsed());
        QCOMPARE(qemu.exitStatus(), QProcess::NormalExit);
    }
};

QTEST_GUILESS_MAIN(TestTinyVmBoot)
#include "tst_tinyvmboot.moc"
