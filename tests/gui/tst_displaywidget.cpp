// DisplayWidget against QEMU's own VNC server (a real RFB peer) on a unix socket, drawn on a real
// X server (Xvfb). The guest is the host's kernel with a busybox initramfs built here, so it boots
// to a shell on the VGA text console with no download.
#include "display/displaycanvas.h"
#include "display/displaywidget.h"
#include "logging.h"
#include "resourcecheck.h"
#include "tinyvm.h"

#include <QAction>
#include <QApplication>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using Hamlet::DisplayWidget;
using namespace Hamlet::Test;

namespace {
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

    void mapsThePointerToGuestPixels()
    {
        DisplayWidget display;
        display.resize(800, 560);
        display.show();
        QVERIFY(QTest::qWaitForWindowExposed(&display));
        Hamlet::DisplayCanvas *canvas = display.canvas();
        QImage frame(720, 400, QImage::Format_RGB32);
        frame.fill(Qt::black);
        canvas->setFrame(frame);
        // Scaled to fit: the aspect ratio is kept and the picture centred.
        const QRect fitted = canvas->frameRect();
        QCOMPARE(fitted.width(), canvas->width());
        QCOMPARE(fitted.top(), (canvas->height() - fitted.height()) / 2);
        QCOMPARE(canvas->framePosition(fitted.topLeft()), QPoint(0, 0));
        const QPointF middle
            = QPointF(fitted.topLeft()) + QPointF(fitted.width() / 2.0 + 0.01, fitted.height() / 2.0 + 0.01);
        QCOMPARE(canvas->framePosition(middle), QPoint(360, 200));
        QCOMPARE(canvas->framePosition(QPointF(-50, -50)), QPoint(0, 0)); // clamped inside the guest
        QCOMPARE(canvas->framePosition(QPointF(5000, 5000)), QPoint(719, 399));
        // 1:1: guest pixels are widget pixels from the picture's corner.
        display.setScaleToFit(false);
        const QRect oneToOne = canvas->frameRect();
        QCOMPARE(oneToOne.size(), QSize(720, 400));
        QCOMPARE(canvas->framePosition(oneToOne.topLeft() + QPoint(10, 20)), QPoint(10, 20));
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
        QVERIFY2(vm.start(TinyVm::Console::Vga, &error), qPrintable(error));
        warmUpImageScaling();
        const QSet<QString> fdsBefore = openFds();
        const int threadsBefore = threadCount();
        const int fd = vm.connect(&error);
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
        QTRY_VERIFY_WITH_TIMEOUT(hasDetail(display->framebuffer()), 10000 - int(vm.sinceStart()));
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
        QVERIFY2(vm.start(TinyVm::Console::Vga, &error), qPrintable(error));
        warmUpImageScaling();
        const QSet<QString> fdsBefore = openFds();
        const int threadsBefore = threadCount();
        const int fd = vm.connect(&error);
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
            const int again = vm.connect(&error);
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
