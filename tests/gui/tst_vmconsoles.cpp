// A VM's serial console in TerminalWidget and its display in DisplayWidget, over the fds the real
// helper hands out (OpenConsole: virDomainOpenConsole, OpenDisplay: virDomainOpenGraphicsFD), for
// real TCG guests under libvirt, on a private bus with real polkitd, drawn on Xvfb.
#include "clienttest.h"
#include "console/terminalscreen.h"
#include "console/terminalwidget.h"
#include "display/displaywidget.h"
#include "helperclient.h"
#include "resourcecheck.h"
#include "testsystem.h"

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using Hamlet::DisplayWidget;
using Hamlet::HelperClient;
using Hamlet::TerminalWidget;
using namespace Hamlet::Test;

namespace {
constexpr qulonglong MiB = 1024 * 1024;

QString allText(const TerminalWidget &terminal)
{
    QStringList lines;
    for (int line = -terminal.screen()->scrollbackLines(); line < terminal.rows(); ++line)
        lines << terminal.screen()->lineText(line);
    return lines.join(QLatin1Char('\n'));
}

bool hasDetail(const QImage &image)
{
    if (image.isNull())
        return false;
    const QRgb first = image.pixel(0, 0);
    for (int y = 0; y < image.height(); y += 2)
        for (int x = 0; x < image.width(); ++x)
            if (image.pixel(x, y) != first)
                return true;
    return false;
}
} // namespace

class TestVmConsoles : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;
    QTemporaryDir m_dir;
    const QString m_tiny = QStringLiteral("console-tiny-%1").arg(QCoreApplication::applicationPid());
    const QString m_iso = QStringLiteral("console-iso-%1").arg(QCoreApplication::applicationPid());

    // The fd, or -1 with the D-Bus error in failure.
    int openFd(const QString &name, const QString &verb, QString *failure)
    {
        failure->clear();
        const int fd = valueOr(QCoro::waitFor(m_client->openFd(name, verb)), failure);
        return failure->isEmpty() ? fd : -1;
    }

    // A bootable installer-style CD of the tiny VM's kernel and initramfs (ISOLINUX), so a VM
    // with a display boots with no download.
    QString makeIso(QString *failure)
    {
        const QString isolinux = QStringLiteral("/usr/lib/ISOLINUX/isolinux.bin");
        const QString ldlinux = QStringLiteral("/usr/lib/syslinux/modules/bios/ldlinux.c32");
        const QString initrd = m_system.stateDir() + QStringLiteral("/vms/tiny-initramfs.img");
        const QStringList kernels = QDir(QStringLiteral("/boot")).entryList({QStringLiteral("vmlinuz-*")});
        if (!QFile::exists(isolinux) || !QFile::exists(ldlinux) || !QFile::exists(initrd) || kernels.isEmpty()) {
            *failure = QStringLiteral("needs isolinux, syslinux-common, a kernel in /boot and the tiny initramfs");
            return {};
        }
        const QString root = m_dir.filePath(QStringLiteral("isoroot"));
        QDir().mkpath(root + QStringLiteral("/isolinux"));
        QFile::copy(isolinux, root + QStringLiteral("/isolinux/isolinux.bin"));
        QFile::copy(ldlinux, root + QStringLiteral("/isolinux/ldlinux.c32"));
        QFile::copy(QStringLiteral("/boot/") + kernels.last(), root + QStringLiteral("/vmlinuz"));
        QFile::copy(initrd, root + QStringLiteral("/initrd.img"));
        QFile config(root + QStringLiteral("/isolinux/isolinux.cfg"));
        config.open(QIODevice::WriteOnly);
        config.write("DEFAULT tiny\nPROMPT 0\nTIMEOUT 1\nLABEL tiny\n  KERNEL /vmlinuz\n"
                     "  APPEND initrd=/initrd.img console=tty0 console=ttyS0\n");
        config.close();
        const QString iso = m_dir.filePath(QStringLiteral("tiny.iso"));
        QProcess xorriso;
        xorriso.setProcessChannelMode(QProcess::MergedChannels);
        xorriso.start(QStringLiteral("xorriso"),
                      {QStringLiteral("-as"), QStringLiteral("mkisofs"), QStringLiteral("-o"), iso,
                       QStringLiteral("-b"), QStringLiteral("isolinux/isolinux.bin"), QStringLiteral("-c"),
                       QStringLiteral("isolinux/boot.cat"), QStringLiteral("-no-emul-boot"),
                       QStringLiteral("-boot-load-size"), QStringLiteral("4"), QStringLiteral("-boot-info-table"),
                       root});
        if (!xorriso.waitForFinished(60000) || xorriso.exitCode() != 0) {
            *failure = QStringLiteral("xorriso failed: ") + QString::fromLocal8Bit(xorriso.readAll());
            return {};
        }
        return iso;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QGuiApplication::platformName() == QStringLiteral("xcb"), "GUI tests run on Xvfb (xcb)");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
    }

    void cleanupTestCase()
    {
        for (const QString &name : {m_tiny, m_iso}) {
            QCoro::waitFor(m_client->stop(name, true));
            QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete")));
        }
    }

    void tinyVmConsoleShowsTheBannerAndAnswersUname()
    {
        const QVariantMap spec {{QStringLiteral("source"), QStringLiteral("tiny")},
                                {QStringLiteral("memory"), QVariant::fromValue(128 * MiB)},
                                {QStringLiteral("vcpus"), 1u}};
        QString failure = createAndWait(*m_client, QStringLiteral("vm"), m_tiny, spec);
        if (!failure.isEmpty())
            qWarning().noquote() << "helper log:\n" << m_system.helperLog();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        const QVariantMap parts = valueOr(QCoro::waitFor(m_client->inspect(m_tiny)), &failure);
        const QString kernel = parts.value(QStringLiteral("kernel")).toString();
        const QString release = kernel.mid(kernel.indexOf(QStringLiteral("vmlinuz-")) + 8);
        QVERIFY2(!release.isEmpty() && kernel.contains(QStringLiteral("vmlinuz-")), qPrintable(kernel));

        TerminalWidget terminal;
        terminal.resize(900, 560);
        terminal.show();
        QVERIFY(QTest::qWaitForWindowExposed(&terminal));
        warmUpImageScaling();
        const QSet<QString> fdsBefore = openFds();
        const int fd = openFd(m_tiny, QStringLiteral("OpenConsole"), &failure);
        QVERIFY2(fd >= 0, qPrintable(failure));
        terminal.setFd(fd);
        QTRY_VERIFY2_WITH_TIMEOUT(allText(terminal).contains(QStringLiteral("Hamlet tiny VM")),
                                  qPrintable(allText(terminal).right(600)), 60000);
        // The banner comes before the shell reads input: ask until it answers.
        bool answered = false;
        for (int attempt = 0; attempt < 30 && !answered; ++attempt) {
            QTest::keyClicks(&terminal, QStringLiteral("uname -r"));
            QTest::keyClick(&terminal, Qt::Key_Return);
            for (int waited = 0; waited < 2000 && !answered; waited += 100) {
                QTest::qWait(100);
                answered = terminal.screenText().split(QLatin1Char('\n')).contains(release);
            }
        }
        QVERIFY2(answered, qPrintable(terminal.screenText()));
        QVERIFY(terminal.grab().save(outputPath(QStringLiteral("vm-serial-console.png"))));

        // Stopping the VM closes its console; the widget says so and keeps no fd.
        QSignalSpy closed(&terminal, &TerminalWidget::closed);
        valueOr(QCoro::waitFor(m_client->stop(m_tiny, true)), &failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, 20000);
        QVERIFY2(terminal.statusText().startsWith(QStringLiteral("Console closed")), qPrintable(terminal.statusText()));
        QVERIFY2(openFds() - fdsBefore == QSet<QString>(), qPrintable(leakedFds(fdsBefore)));
    }

    void isoVmDisplayShowsTheGuestWithinTenSeconds()
    {
        QString failure;
        const QString iso = makeIso(&failure);
        QVERIFY2(!iso.isEmpty(), qPrintable(failure));
        const QVariantMap spec {{QStringLiteral("source"), QStringLiteral("iso")},
                                {QStringLiteral("iso"), iso},
                                {QStringLiteral("diskSize"), QVariant::fromValue(64 * MiB)},
                                {QStringLiteral("memory"), QVariant::fromValue(128 * MiB)},
                                {QStringLiteral("vcpus"), 1u}};
        failure = createAndWait(*m_client, QStringLiteral("vm"), m_iso, spec);
        if (!failure.isEmpty())
            qWarning().noquote() << "helper log:\n" << m_system.helperLog();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        QElapsedTimer sinceBoot;
        sinceBoot.start();

        DisplayWidget display;
        display.resize(800, 520);
        display.show();
        QVERIFY(QTest::qWaitForWindowExposed(&display));
        warmUpImageScaling();
        const QSet<QString> fdsBefore = openFds();
        const int fd = openFd(m_iso, QStringLiteral("OpenDisplay"), &failure);
        QVERIFY2(fd >= 0, qPrintable(failure));
        display.setFd(fd);
        QTRY_VERIFY_WITH_TIMEOUT(hasDetail(display.framebuffer()), std::max<int>(1, 10000 - int(sinceBoot.elapsed())));
        const QSize size = display.framebufferSize();
        QVERIFY2((QList<QSize> {{640, 480}, {720, 400}, {800, 600}, {1024, 768}, {1280, 800}}).contains(size),
                 qPrintable(QStringLiteral("%1x%2").arg(size.width()).arg(size.height())));
        qInfo("first detailed frame %lld ms after the VM was created", static_cast<long long>(sinceBoot.elapsed()));
        QVERIFY(display.framebuffer().save(outputPath(QStringLiteral("vm-display-frame.png"))));
        QVERIFY(display.grab().save(outputPath(QStringLiteral("vm-display-widget.png"))));

        // A VM without graphics has no display to open, and the widget can say so.
        QCOMPARE(openFd(m_tiny, QStringLiteral("OpenDisplay"), &failure), -1);
        QVERIFY2(failure.startsWith(QStringLiteral("dev.hamlet.Error.")), qPrintable(failure));
        display.setPlaceholderText(QStringLiteral("This VM has no display."));

        display.closeFd();
        QVERIFY(!display.isConnected());
        QCOMPARE(display.statusText(), QStringLiteral("This VM has no display."));
        QTest::qWait(100);
        QVERIFY(!threads().contains(QStringLiteral("hamlet-rfb")));
        QVERIFY2(openFds() - fdsBefore == QSet<QString>(), qPrintable(leakedFds(fdsBefore)));
    }
};

QTEST_MAIN(TestVmConsoles)
#include "tst_vmconsoles.moc"
