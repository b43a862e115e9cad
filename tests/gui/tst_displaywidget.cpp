// DisplayWidget against QEMU's own VNC server (a real RFB peer) on a unix socket, drawn on a real
// X server (Xvfb). The guest is the host's kernel with a busybox initramfs built here, so it boots
// to a shell on the VGA text console with no download.
#include "display/displaycanvas.h"
#include "display/displaywidget.h"
#include "logging.h"
#include "resourcecheck.h"

#include <QAction>
#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QPainter>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using Hamlet::DisplayWidget;
using namespace Hamlet::Test;

namespace {
QString findKernel()
{
    const QStringList kernels = QDir(QStringLiteral("/boot")).entryList({QStringLiteral("vmlinuz-*")}, QDir::Files);
    return kernels.isEmpty() ? QString() : QStringLiteral("/boot/") + kernels.last();
}

// An uncompressed newc cpio archive, the format the kernel unpacks as its initramfs.
class Cpio
{
public:
    void add(const QByteArray &name, quint32 mode, const QByteArray &data = {}, quint32 rdevMajor = 0,
             quint32 rdevMinor = 0)
    {
        const quint32 fields[13] = {
            ++m_inode, mode, 0, 0, 1, 0, quint32(data.size()), 0, 0, rdevMajor, rdevMinor, quint32(name.size() + 1), 0};
        QByteArray header("070701");
        for (const quint32 field : fields)
            header += QByteArray::number(field, 16).rightJustified(8, '0');
        m_bytes += header + name + '\0';
        pad();
        m_bytes += data;
        pad();
    }
    QByteArray finish()
    {
        add("TRAILER!!!", 0);
        return m_bytes;
    }

private:
    void pad()
    {
        while (m_bytes.size() % 4)
            m_bytes += '\0';
    }
    QByteArray m_bytes;
    quint32 m_inode = 0;
};

// A TCG VM running the host kernel and busybox, its VGA screen served by QEMU's VNC server on
// a unix socket in a private directory (no network port).
class TinyVm
{
public:
    bool start(QString *error)
    {
        const QString kernel = findKernel();
        QFile busybox(QStringLiteral("/bin/busybox"));
        if (kernel.isEmpty() || !busybox.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("needs a kernel in /boot and /bin/busybox");
            return false;
        }
        Cpio cpio;
        cpio.add("bin", 040755);
        cpio.add("dev", 040755);
        cpio.add("proc", 040755);
        cpio.add("dev/console", 020600, {}, 5, 1);
        cpio.add("bin/busybox", 0100755, busybox.readAll());
        // Ctrl+Alt+Del reboots at once (so the test can see it arrive: QEMU exits, -no-reboot).
        cpio.add("init", 0100755,
                 "#!/bin/busybox sh\n"
                 "/bin/busybox mount -t proc proc /proc\n"
                 "echo 1 > /proc/sys/kernel/ctrl-alt-del\n"
                 "export PATH=/bin PS1='guest# '\n"
                 "/bin/busybox --install -s /bin\n"
                 "exec /bin/busybox sh\n");
        QFile initrd(m_dir.filePath(QStringLiteral("initrd.cpio")));
        if (!initrd.open(QIODevice::WriteOnly) || initrd.write(cpio.finish()) < 0) {
            *error = initrd.errorString();
            return false;
        }
        initrd.close();
        m_socket = m_dir.filePath(QStringLiteral("vnc.sock"));
        m_qemu.setProcessChannelMode(QProcess::MergedChannels);
        m_qemu.start(QStringLiteral("qemu-system-x86_64"),
                     {QStringLiteral("-accel"), QStringLiteral("tcg"), QStringLiteral("-m"), QStringLiteral("256"),
                      QStringLiteral("-nodefaults"), QStringLiteral("-no-user-config"), QStringLiteral("-vga"),
                      QStringLiteral("std"), QStringLiteral("-display"), QStringLiteral("none"), QStringLiteral("-vnc"),
                      QStringLiteral("unix:") + m_socket, QStringLiteral("-kernel"), kernel, QStringLiteral("-initrd"),
                      initrd.fileName(), QStringLiteral("-append"), QStringLiteral("console=tty0 rdinit=/init"),
                      QStringLiteral("-no-reboot")});
        m_booted.start();
        if (!m_qemu.waitForStarted(10000)) {
            *error = m_qemu.errorString();
            return false;
        }
        return true;
    }

    // A connected socket to the VNC server: what the helper gets from virDomainOpenGraphicsFD.
    int connectDisplay(QString *error)
    {
        for (int attempt = 0; attempt < 100; ++attempt) {
            const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_un address {};
            address.sun_family = AF_UNIX;
            qstrncpy(address.sun_path, QFile::encodeName(m_socket).constData(), sizeof address.sun_path);
            if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0)
                return fd;
            ::close(fd);
            if (m_qemu.state() != QProcess::Running)
                break;
            QTest::qWait(100);
        }
        *error = QStringLiteral("cannot connect to QEMU's VNC socket: ") + QString::fromLocal8Bit(m_qemu.readAll());
        return -1;
    }

    qint64 sinceBoot() const { return m_booted.elapsed(); }
    QProcess &process() { return m_qemu; }
    void stop()
    {
        m_qemu.kill();
        m_qemu.waitForFinished(10000);
    }
    ~TinyVm() { stop(); }

private:
    QTemporaryDir m_dir;
    QString m_socket;
    QProcess m_qemu;
    QElapsedTimer m_booted;
};

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

// Qt scales large images on a private pool of worker threads (each with an eventfd) that start
// on first use and stop after 30 s idle. Starting them before a baseline is taken keeps them out
// of the fd and thread comparisons, which are about what the display widget itself leaves behind.
void warmUpImageScaling()
{
    QImage source(1024, 768, QImage::Format_RGB32);
    source.fill(Qt::darkGray);
    QImage target(800, 500, QImage::Format_RGB32);
    QPainter painter(&target);
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    painter.drawImage(target.rect(), source);
}

bool sessionThreadRunning()
{
    return threads().contains(QStringLiteral("hamlet-rfb"));
}

// The share of pixels that are not the background (the VGA console's black).
double inkRatio(const QImage &image)
{
    qint64 ink = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            ink += qGray(image.pixel(x, y)) > 40;
    return double(ink) / (qint64(image.width()) * image.height());
}
} // namespace

class TestDisplayWidget : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QGuiApplication::platformName() == QStringLiteral("xcb"), "GUI tests run on Xvfb (xcb)");
        Hamlet::Log::setup("tst_displaywidget", false); // HAMLET_LOG=debug shows libvncclient's log
    }

    void saysSoWhenThereIsNoDisplay()
    {
        DisplayWidget display;
        display.resize(640, 420);
        display.show();
        QVERIFY(QTest::qWaitForWindowExposed(&display));
        QVERIFY(!display.isConnected());
        QVERIFY(display.framebuffer().isNull());
        QVERIFY(display.statusText().contains(QStringLiteral("not running")));
        display.setPlaceholderText(QStringLiteral("This VM has no display."));
        QCOMPARE(display.statusText(), QStringLiteral("This VM has no display."));
        QVERIFY(!display.sendCtrlAltDelAction()->isEnabled());
        QVERIFY(display.grab().save(outputPath(QStringLiteral("display-no-display.png"))));
    }

    void showsTheGuestScreenAndSendsInput()
    {
        {
            DisplayWidget warmUp; // fonts and X resources for this kind of widget: not a leak
            warmUp.show();
            QVERIFY(QTest::qWaitForWindowExposed(&warmUp));
        }
        TinyVm vm;
        QString error;
        QVERIFY2(vm.start(&error), qPrintable(error));
        warmUpImageScaling();
        const QSet<QString> fdsBefore = openFds();
        const int threadsBefore = threadCount();
        const int fd = vm.connectDisplay(&error);
        QVERIFY2(fd >= 0, qPrintable(error));

        auto display = std::make_unique<DisplayWidget>();
        display->resize(800, 520);
        display->show();
        QVERIFY(QTest::qWaitForWindowExposed(display.get()));
        QSignalSpy updated(display.get(), &DisplayWidget::framebufferUpdated);
        QSignalSpy closed(display.get(), &DisplayWidget::closed);
        display->setFd(fd);
        QVERIFY(display->isConnected());
        QTRY_VERIFY(sessionThreadRunning());

        // A picture of the guest's size, with something on it, within 10 s of boot.
        QTRY_VERIFY_WITH_TIMEOUT(hasDetail(display->framebuffer()), 10000 - int(vm.sinceBoot()));
        const QSize size = display->framebufferSize();
        QVERIFY2((QList<QSize> {{640, 480}, {720, 400}, {800, 600}, {1024, 768}, {1280, 800}}).contains(size),
                 qPrintable(QStringLiteral("%1x%2").arg(size.width()).arg(size.height())));
        QVERIFY(display->statusText().isEmpty());
        QVERIFY(updated.size() > 0);
        QVERIFY(display->sendCtrlAltDelAction()->isEnabled());
        QVERIFY(display->framebuffer().save(outputPath(QStringLiteral("display-first-frame.png"))));

        // Keyboard: a click grabs it, then typed commands reach the guest's shell. `clear` wipes
        // the boot messages, which shows in the framebuffer; retried until the shell is up.
        QTest::mouseClick(display->canvas(), Qt::LeftButton, {}, display->canvas()->rect().center());
        QVERIFY(display->isInputGrabbed());
        QVERIFY2(display->hintText().contains(QStringLiteral("Ctrl+Alt")), qPrintable(display->hintText()));
        QTRY_VERIFY_WITH_TIMEOUT(inkRatio(display->framebuffer()) > 0.02, 60000); // boot text
        QVERIFY(display->grab().save(outputPath(QStringLiteral("display-booted.png"))));
        bool cleared = false;
        for (int attempt = 0; attempt < 30 && !cleared; ++attempt) {
            QTest::keyClicks(display->canvas(), QStringLiteral("clear"));
            QTest::keyClick(display->canvas(), Qt::Key_Return);
            for (int waited = 0; waited < 2000 && !cleared; waited += 100) {
                QTest::qWait(100);
                cleared = inkRatio(display->framebuffer()) < 0.01;
            }
        }
        QVERIFY2(cleared, "typing `clear` did not clear the guest's screen");
        QTest::keyClicks(display->canvas(), QStringLiteral("echo typed from Hamlet"));
        QTest::keyClick(display->canvas(), Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(inkRatio(display->framebuffer()) > 0.002, 10000);
        QTest::qWait(500);
        QVERIFY(display->grab().save(outputPath(QStringLiteral("display-typed.png"))));

        // Ctrl then Alt gives the keyboard back, and the hint says how to take it again.
        QTest::keyPress(display->canvas(), Qt::Key_Control);
        QTest::keyPress(display->canvas(), Qt::Key_Alt, Qt::ControlModifier);
        QVERIFY(!display->isInputGrabbed());
        QVERIFY2(display->hintText().contains(QStringLiteral("Click")), qPrintable(display->hintText()));
        QTest::keyRelease(display->canvas(), Qt::Key_Alt, Qt::ControlModifier | Qt::AltModifier);
        QTest::keyRelease(display->canvas(), Qt::Key_Control, Qt::ControlModifier);

        // 1:1 shows the guest pixel for pixel; fit keeps its aspect ratio inside the widget.
        display->setScaleToFit(false);
        QTRY_COMPARE(display->canvas()->frameRect().size(), display->framebufferSize());
        QVERIFY(display->grab().save(outputPath(QStringLiteral("display-one-to-one.png"))));
        display->setScaleToFit(true);
        const QRect fitted = display->canvas()->frameRect();
        QVERIFY(display->canvas()->rect().contains(fitted));
        const QSize now = display->framebufferSize();
        QVERIFY(qAbs(double(fitted.width()) / fitted.height() - double(now.width()) / now.height()) < 0.02);

        // Send Ctrl+Alt+Del: the guest (told to reboot on it) reboots, QEMU exits (-no-reboot),
        // and the widget says the display closed.
        display->sendCtrlAltDelAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(vm.process().state(), QProcess::NotRunning, 10000);
        QVERIFY(!display->isConnected());
        QVERIFY2(display->statusText().startsWith(QStringLiteral("Display closed")), qPrintable(display->statusText()));
        QVERIFY(display->grab().save(outputPath(QStringLiteral("display-closed.png"))));
        QVERIFY(!sessionThreadRunning()); // joined as soon as the session ended
        display.reset();
        QTest::qWait(100);
        QVERIFY2(openFds() - fdsBefore == QSet<QString>(), qPrintable(leakedFds(fdsBefore)));
        QVERIFY2(threadCount() <= threadsBefore, qPrintable(threads().join(QLatin1Char(' '))));
    }

    void closingWhileConnectedLeavesNoFdAndNoThread()
    {
        TinyVm vm;
        QString error;
        QVERIFY2(vm.start(&error), qPrintable(error));
        warmUpImageScaling();
        const QSet<QString> fdsBefore = openFds();
        const int threadsBefore = threadCount();
        const int fd = vm.connectDisplay(&error);
        QVERIFY2(fd >= 0, qPrintable(error));
        {
            DisplayWidget display;
            display.show();
            QVERIFY(QTest::qWaitForWindowExposed(&display));
            display.setFd(fd);
            QTRY_VERIFY_WITH_TIMEOUT(!display.framebuffer().isNull(), 10000);
            display.closeFd(); // the tab is closed while the VM runs on
            QVERIFY(!display.isConnected());
            QVERIFY(display.framebuffer().isNull());
            QVERIFY2(display.statusText().contains(QStringLiteral("not running")), qPrintable(display.statusText()));
            QVERIFY(!sessionThreadRunning());
            QVERIFY2(threadCount() <= threadsBefore, qPrintable(threads().join(QLatin1Char(' '))));
            QVERIFY2(openFds() - fdsBefore == QSet<QString>(), qPrintable(leakedFds(fdsBefore)));

            // Reconnecting gives a picture again; destroying the widget then stops it too.
            const int again = vm.connectDisplay(&error);
            QVERIFY2(again >= 0, qPrintable(error));
            display.setFd(again);
            QTRY_VERIFY_WITH_TIMEOUT(!display.framebuffer().isNull(), 10000);
        }
        QTest::qWait(100);
        QVERIFY(!sessionThreadRunning());
        QVERIFY2(threadCount() <= threadsBefore, qPrintable(threads().join(QLatin1Char(' '))));
        QVERIFY2(openFds() - fdsBefore == QSet<QString>(), qPrintable(leakedFds(fdsBefore)));
        QCOMPARE(vm.process().state(), QProcess::Running); // only our side closed
    }
};

QTEST_MAIN(TestDisplayWidget)
#include "tst_displaywidget.moc"
