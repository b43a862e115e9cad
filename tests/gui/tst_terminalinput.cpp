// TerminalWidget's input, byte for byte: what it writes to its fd for keys, paste, the mouse and
// the wheel, read back from the other end of a socketpair (like a VM's serial console), on a real
// X server (Xvfb).
#include "console/terminalscreen.h"
#include "console/terminalwidget.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QSignalSpy>
#include <QTest>

#include <sys/socket.h>
#include <unistd.h>

using Hamlet::TerminalWidget;

namespace {
// Both ends of a socketpair: the widget owns one, the test reads what the widget sends.
struct Pipe {
    int widgetEnd = -1;
    int testEnd = -1;
};

Pipe socketPair()
{
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        return {};
    return {fds[0], fds[1]};
}

QByteArray readAvailable(int fd, int timeoutMs = 2000)
{
    QByteArray all;
    for (int waited = 0; waited < timeoutMs; waited += 20) {
        QTest::qWait(20);
        char buffer[256];
        const ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0)
            all.append(buffer, n);
        else if (!all.isEmpty())
            break;
    }
    return all;
}
} // namespace

class TestTerminalInput : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QGuiApplication::platformName() == QStringLiteral("xcb"), "GUI tests run on Xvfb (xcb)");
    }

    void sendsTheBytesATerminalSendsForSpecialKeys()
    {
        const Pipe pipe = socketPair();
        QVERIFY(pipe.widgetEnd >= 0);
        TerminalWidget terminal;
        terminal.show();
        QVERIFY(QTest::qWaitForWindowExposed(&terminal));
        terminal.setFd(pipe.widgetEnd); // a socket, like a VM's serial console
        terminal.setFd(pipe.widgetEnd); // handing over the same fd again changes nothing
        QVERIFY(terminal.isConnected());
        const struct {
            Qt::Key key;
            Qt::KeyboardModifiers modifiers;
            QByteArray bytes;
        } cases[] = {
            {Qt::Key_Up, Qt::NoModifier, "\x1b[A"},         {Qt::Key_Down, Qt::NoModifier, "\x1b[B"},
            {Qt::Key_Right, Qt::NoModifier, "\x1b[C"},      {Qt::Key_Left, Qt::NoModifier, "\x1b[D"},
            {Qt::Key_Home, Qt::NoModifier, "\x1b[H"},       {Qt::Key_End, Qt::NoModifier, "\x1b[F"},
            {Qt::Key_PageUp, Qt::NoModifier, "\x1b[5~"},    {Qt::Key_PageDown, Qt::NoModifier, "\x1b[6~"},
            {Qt::Key_F1, Qt::NoModifier, "\x1bOP"},         {Qt::Key_F5, Qt::NoModifier, "\x1b[15~"},
            {Qt::Key_A, Qt::ControlModifier, "\x01"},       {Qt::Key_D, Qt::ControlModifier, "\x04"},
            {Qt::Key_Return, Qt::NoModifier, "\r"},         {Qt::Key_Tab, Qt::NoModifier, "\t"},
            {Qt::Key_Backspace, Qt::NoModifier, "\x7f"},    {Qt::Key_Escape, Qt::NoModifier, "\x1b"},
            {Qt::Key_Up, Qt::ControlModifier, "\x1b[1;5A"}, {Qt::Key_X, Qt::AltModifier, "\x1bx"},
        };
        for (const auto &c : cases) {
            QTest::keyClick(&terminal, c.key, c.modifiers);
            QCOMPARE(readAvailable(pipe.testEnd), c.bytes);
        }
        // A paste is bracketed only once the program asks for it (ESC[?2004h).
        QApplication::clipboard()->setText(QStringLiteral("a\nb"));
        terminal.paste();
        QCOMPARE(readAvailable(pipe.testEnd), QByteArray("a\rb"));
        QVERIFY(::write(pipe.testEnd, "\x1b[?2004hmode-on", 15) == 15);
        QTRY_VERIFY(terminal.screenText().startsWith(QStringLiteral("mode-on"))); // the mode was read
        terminal.paste();
        QCOMPARE(readAvailable(pipe.testEnd), QByteArray("\x1b[200~a\rb\x1b[201~"));
        terminal.closeFd();
        ::close(pipe.testEnd);
    }

    void keepsShellKeysFromTheWindowsShortcuts()
    {
        const Pipe pipe = socketPair();
        QVERIFY(pipe.widgetEnd >= 0);
        QWidget window;
        auto *terminal = new TerminalWidget(&window);
        terminal->resize(640, 360);
        QAction closeTab(QStringLiteral("Close tab"), &window);
        closeTab.setShortcut(QKeySequence(Qt::CTRL | Qt::Key_W));
        QAction newTab(QStringLiteral("New tab"), &window);
        newTab.setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T));
        window.addAction(&closeTab);
        window.addAction(&newTab);
        QSignalSpy closeTriggered(&closeTab, &QAction::triggered);
        QSignalSpy newTriggered(&newTab, &QAction::triggered);
        window.show();
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        terminal->setFocus();
        QTRY_VERIFY(terminal->hasFocus());
        terminal->setFd(pipe.widgetEnd);
        QTest::keyClick(terminal, Qt::Key_W, Qt::ControlModifier); // the shell's delete-word
        QCOMPARE(readAvailable(pipe.testEnd), QByteArray("\x17"));
        QCOMPARE(closeTriggered.size(), 0);
        QTest::keyClick(terminal, Qt::Key_T, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(newTriggered.size(), 1);
        QCOMPARE(readAvailable(pipe.testEnd, 300), QByteArray());
        terminal->closeFd();
        ::close(pipe.testEnd);
    }

    void givesTheMouseAndWheelToFullScreenPrograms()
    {
        const Pipe pipe = socketPair();
        QVERIFY(pipe.widgetEnd >= 0);
        TerminalWidget terminal;
        terminal.resize(640, 360);
        terminal.show();
        QVERIFY(QTest::qWaitForWindowExposed(&terminal));
        terminal.setFd(pipe.widgetEnd);
        const QSize cell(terminal.viewport()->width() / terminal.columns(),
                         terminal.viewport()->height() / terminal.rows());
        const QPoint third(2 * cell.width() + 1, 1 * cell.height() + 1); // column 3, row 2 (1-based)
        auto wheel = [&](int delta) {
            QWheelEvent event(QPointF(third), terminal.viewport()->mapToGlobal(QPointF(third)), QPoint(),
                              QPoint(0, delta), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
            QApplication::sendEvent(terminal.viewport(), &event);
        };

        // A full-screen program without mouse reporting (less): the wheel scrolls it by lines.
        QVERIFY(::write(pipe.testEnd, "\x1b[?1049hfull-screen", 20) == 20);
        QTRY_VERIFY(terminal.screen()->altScreen());
        wheel(120);
        QCOMPARE(readAvailable(pipe.testEnd), QByteArray("\x1b[A\x1b[A\x1b[A"));
        wheel(-120);
        QCOMPARE(readAvailable(pipe.testEnd), QByteArray("\x1b[B\x1b[B\x1b[B"));

        // A program that asked for clicks in SGR format (htop, mc) gets them, and the wheel.
        QVERIFY(::write(pipe.testEnd, "\x1b[?1000h\x1b[?1006h", 16) == 16);
        QTRY_VERIFY(terminal.screen()->mouseMode() != 0);
        QTest::mousePress(terminal.viewport(), Qt::LeftButton, {}, third);
        QCOMPARE(readAvailable(pipe.testEnd), QByteArray("\x1b[<0;3;2M"));
        QTest::mouseRelease(terminal.viewport(), Qt::LeftButton, {}, third);
        QCOMPARE(readAvailable(pipe.testEnd), QByteArray("\x1b[<0;3;2m"));
        wheel(120);
        QCOMPARE(readAvailable(pipe.testEnd), QByteArray("\x1b[<64;3;2M"));
        // Shift keeps the mouse for selecting, as in xterm.
        QTest::mousePress(terminal.viewport(), Qt::LeftButton, Qt::ShiftModifier, third);
        QTest::mouseRelease(terminal.viewport(), Qt::LeftButton, Qt::ShiftModifier,
                            third + QPoint(cell.width() * 4, 0));
        QCOMPARE(readAvailable(pipe.testEnd, 300), QByteArray());
        terminal.closeFd();
        ::close(pipe.testEnd);
    }
};

QTEST_MAIN(TestTerminalInput)
#include "tst_terminalinput.moc"
