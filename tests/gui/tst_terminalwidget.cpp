// TerminalWidget against a real pty running /bin/sh, on a real X server (Xvfb).
#include "console/terminalscreen.h"
#include "console/terminalwidget.h"
#include "resourcecheck.h"
#include "tinyvm.h"

#include <QAccessible>
#include <QApplication>
#include <QClipboard>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>

#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

using Hamlet::TerminalScreen;
using Hamlet::TerminalWidget;
using namespace Hamlet::Test;

namespace {
struct Shell {
    pid_t pid = -1;
    int master = -1;
};

// /bin/sh on a new pty, with a plain prompt and a terminal type libvterm understands.
Shell startShell()
{
    Shell shell;
    struct winsize size = {};
    size.ws_row = 24;
    size.ws_col = 80;
    shell.pid = forkpty(&shell.master, nullptr, nullptr, &size);
    if (shell.pid == 0) {
        const char *env[] = {"TERM=xterm-256color", "PS1=$ ", "PATH=/usr/bin:/bin", "HOME=/", nullptr};
        execle("/bin/sh", "sh", "-i", static_cast<char *>(nullptr), env);
        _exit(127);
    }
    return shell;
}

bool reaped(pid_t pid, int timeoutMs)
{
    for (int waited = 0; waited < timeoutMs; waited += 50) {
        if (waitpid(pid, nullptr, WNOHANG) == pid)
            return true;
        QTest::qWait(50);
    }
    return false;
}

// A line of output: alone on its line, or after a prompt that was printed late (typed-ahead
// input is echoed before the shell prints its prompt).
bool hasLine(const QString &screen, const QString &line)
{
    const QStringList lines = screen.split(QLatin1Char('\n'));
    return std::any_of(lines.cbegin(), lines.cend(), [&](const QString &shown) {
        return shown == line || shown.endsWith(QStringLiteral("$ ") + line);
    });
}

void typeLine(QWidget *widget, const QString &text)
{
    QTest::keyClicks(widget, text);
    QTest::keyClick(widget, Qt::Key_Return);
}

// Everything the terminal holds: scrollback, then the screen.
QString allText(const TerminalWidget &terminal)
{
    QStringList lines;
    for (int line = -terminal.screen()->scrollbackLines(); line < terminal.rows(); ++line)
        lines << terminal.screen()->lineText(line);
    return lines.join(QLatin1Char('\n'));
}
} // namespace

class TestTerminalWidget : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QGuiApplication::platformName() == QStringLiteral("xcb"), "GUI tests run on Xvfb (xcb)");
    }

    void typingAnArithmeticCommandShowsTheAnswer()
    {
        const Shell shell = startShell();
        QVERIFY(shell.pid > 0);
        TerminalWidget terminal;
        terminal.resize(720, 420);
        terminal.show();
        QVERIFY(QTest::qWaitForWindowExposed(&terminal));
        terminal.setFd(shell.master);
        QVERIFY(terminal.isConnected());
        QTRY_VERIFY_WITH_TIMEOUT(terminal.screenText().contains(QStringLiteral("$")), 10000);
        typeLine(&terminal, QStringLiteral("echo $((6*7))"));
        QTRY_VERIFY2_WITH_TIMEOUT(hasLine(terminal.screenText(), QStringLiteral("42")),
                                  qPrintable(terminal.screenText()), 10000);
        QVERIFY(terminal.screenText().contains(QStringLiteral("echo $((6*7))"))); // the echo of what was typed
        // Assistive technology reads the same screen.
        QAccessibleInterface *accessible = QAccessible::queryAccessibleInterface(&terminal);
        QVERIFY(accessible);
        QCOMPARE(accessible->role(), QAccessible::Terminal);
        QVERIFY(hasLine(accessible->text(QAccessible::Value), QStringLiteral("42")));
        QVERIFY(terminal.grab().save(outputPath(QStringLiteral("terminal-echo-42.png"))));
        terminal.closeFd();
        QVERIFY(reaped(shell.pid, 5000)); // the shell saw its terminal hang up
    }

    void resizingTheWidgetChangesTheSizeSeenInside()
    {
        const Shell shell = startShell();
        TerminalWidget terminal;
        terminal.resize(640, 360);
        terminal.show();
        QVERIFY(QTest::qWaitForWindowExposed(&terminal));
        terminal.setFd(shell.master);
        QTRY_VERIFY_WITH_TIMEOUT(terminal.screenText().contains(QStringLiteral("$")), 10000);
        for (const QSize size : {QSize(520, 300), QSize(900, 560)}) {
            terminal.resize(size);
            QTRY_COMPARE(terminal.size(), size);
            const int rows = terminal.rows();
            const int cols = terminal.columns();
            const QString expected = QStringLiteral("%1 %2").arg(rows).arg(cols);
            typeLine(&terminal, QStringLiteral("clear; stty size"));
            QTRY_VERIFY2_WITH_TIMEOUT(hasLine(terminal.screenText(), expected),
                                      qPrintable(expected + QStringLiteral(" not in:\n") + terminal.screenText()),
                                      10000);
        }
        QVERIFY(terminal.columns() > 80); // 900 px is wider than 80 columns of any sane font
        terminal.closeFd();
        QVERIFY(reaped(shell.pid, 5000));
    }

    void drawsColoursAndAttributes()
    {
        const Shell shell = startShell();
        TerminalWidget terminal;
        terminal.resize(720, 420);
        terminal.show();
        QVERIFY(QTest::qWaitForWindowExposed(&terminal));
        terminal.setFd(shell.master);
        QTRY_VERIFY_WITH_TIMEOUT(terminal.screenText().contains(QStringLiteral("$")), 10000);
        // 16-colour bold red, 256-colour 82, 24-bit RGB, reverse, underline; printf builds the
        // escapes so the typed command line itself has none.
        typeLine(&terminal,
                 QStringLiteral("clear; printf '\\033[1;31mRED\\033[0m \\033[38;5;82mG256\\033[0m "
                                "\\033[38;2;10;20;200mRGB\\033[0m \\033[7mREV\\033[0m \\033[4mUND\\033[0m\\n'"));
        QTRY_VERIFY2_WITH_TIMEOUT(terminal.screenText().startsWith(QStringLiteral("RED G256 RGB REV UND")),
                                  qPrintable(terminal.screenText()), 10000);
        const TerminalScreen *screen = terminal.screen();
        const QColor red = screen->cell(0, 0).foreground;
        QVERIFY(screen->cell(0, 0).bold);
        QVERIFY2(red.red() > 150 && red.green() < 120 && red.blue() < 120, qPrintable(red.name()));
        QCOMPARE(screen->cell(0, 4).foreground, QColor(0x5f, 0xff, 0x00)); // xterm palette index 82
        QCOMPARE(screen->cell(0, 9).foreground, QColor(10, 20, 200));
        QVERIFY(screen->cell(0, 14).reverse);
        QVERIFY(screen->cell(0, 18).underline);
        QVERIFY(!screen->cell(0, 3).bold);

        // And it is what the widget draws: red pixels where RED is, a light block where REV is.
        const QImage shot = terminal.grab().toImage();
        QVERIFY(shot.save(outputPath(QStringLiteral("terminal-colours.png"))));
        const QRect redCells(0, 0, 3 * shot.width() / terminal.columns(), shot.height() / terminal.rows());
        bool sawRed = false;
        for (int y = redCells.top(); y < redCells.bottom() && !sawRed; ++y)
            for (int x = redCells.left(); x < redCells.right() && !sawRed; ++x) {
                const QColor c = shot.pixelColor(x, y);
                sawRed = c.red() > 150 && c.green() < 120 && c.blue() < 120;
            }
        QVERIFY(sawRed);
        const int cellWidth = terminal.viewport()->width() / terminal.columns();
        const QColor reverseBackground = shot.pixelColor(14 * cellWidth + 1, 1);
        QVERIFY2(reverseBackground.lightness() > 150, qPrintable(reverseBackground.name()));
        terminal.closeFd();
        QVERIFY(reaped(shell.pid, 5000));
    }

    void keepsScrollbackAndScrollsWithTheWheel()
    {
        const Shell shell = startShell();
        TerminalWidget terminal;
        terminal.resize(640, 300);
        terminal.show();
        QVERIFY(QTest::qWaitForWindowExposed(&terminal));
        terminal.setScrollbackLimit(100);
        terminal.setFd(shell.master);
        QTRY_VERIFY_WITH_TIMEOUT(terminal.screenText().contains(QStringLiteral("$")), 10000);
        typeLine(&terminal, QStringLiteral("i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo line$i; done"));
        QTRY_VERIFY_WITH_TIMEOUT(hasLine(terminal.screenText(), QStringLiteral("line300")), 10000);
        QCOMPARE(terminal.screen()->scrollbackLines(), 100); // bounded
        QCOMPARE(terminal.verticalScrollBar()->maximum(), 100);
        QCOMPARE(terminal.scrollOffset(), 0);

        QWheelEvent up(QPointF(50, 50), terminal.viewport()->mapToGlobal(QPointF(50, 50)), QPoint(), QPoint(0, 120),
                       Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(terminal.viewport(), &up);
        QVERIFY(terminal.scrollOffset() > 0);
        const int offset = terminal.scrollOffset();
        QVERIFY(terminal.grab().save(outputPath(QStringLiteral("terminal-scrollback.png"))));
        const QString topLine = terminal.screen()->lineText(-offset);
        QVERIFY2(topLine.startsWith(QStringLiteral("line")), qPrintable(topLine));

        QTest::keyClick(&terminal, Qt::Key_Space); // typing returns to the live screen
        QCOMPARE(terminal.scrollOffset(), 0);
        terminal.closeFd();
        QVERIFY(reaped(shell.pid, 5000));
    }

    void copiesTheMouseSelectionAndPastesIntoTheShell()
    {
        const Shell shell = startShell();
        TerminalWidget terminal;
        terminal.resize(720, 420);
        terminal.show();
        QVERIFY(QTest::qWaitForWindowExposed(&terminal));
        terminal.setFd(shell.master);
        QTRY_VERIFY_WITH_TIMEOUT(terminal.screenText().contains(QStringLiteral("$")), 10000);
        typeLine(&terminal, QStringLiteral("clear; echo copy-me-please"));
        QTRY_VERIFY_WITH_TIMEOUT(hasLine(terminal.screenText(), QStringLiteral("copy-me-please")), 10000);
        const QString output = QStringLiteral("copy-me-please");
        const QStringList lines = terminal.screenText().split(QLatin1Char('\n'));
        int row = 0;
        while (row < lines.size() && !(lines[row] == output || lines[row].endsWith(QStringLiteral("$ ") + output)))
            ++row;
        QVERIFY(row < lines.size());
        const int col = int(lines[row].size() - output.size());
        const int cellWidth = terminal.viewport()->width() / terminal.columns();
        const int cellHeight = terminal.viewport()->height() / terminal.rows();
        const int y = row * cellHeight + cellHeight / 2;
        QTest::mousePress(terminal.viewport(), Qt::LeftButton, {}, QPoint(col * cellWidth + 2, y));
        QTest::mouseMove(terminal.viewport(), QPoint((col + 7) * cellWidth + 2, y));
        QTest::mouseRelease(terminal.viewport(), Qt::LeftButton, {}, QPoint((col + 7) * cellWidth + 2, y));
        QCOMPARE(terminal.selectedText(), QStringLiteral("copy-me"));
        QTest::keyClick(&terminal, Qt::Key_C, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(QApplication::clipboard()->text(), QStringLiteral("copy-me"));
        QVERIFY(terminal.grab().save(outputPath(QStringLiteral("terminal-selection.png"))));

        QApplication::clipboard()->setText(QStringLiteral("echo pasted-$((40+2))\n"));
        QTest::keyClick(&terminal, Qt::Key_V, Qt::ControlModifier | Qt::ShiftModifier);
        QTRY_VERIFY2_WITH_TIMEOUT(hasLine(terminal.screenText(), QStringLiteral("pasted-42")),
                                  qPrintable(terminal.screenText()), 10000);
        terminal.closeFd();
        QVERIFY(reaped(shell.pid, 5000));
    }

    void controlCInterruptsTheForegroundCommand()
    {
        const Shell shell = startShell();
        TerminalWidget terminal;
        terminal.resize(720, 420);
        terminal.show();
        QVERIFY(QTest::qWaitForWindowExposed(&terminal));
        terminal.setFd(shell.master);
        QTRY_VERIFY_WITH_TIMEOUT(terminal.screenText().contains(QStringLiteral("$")), 10000);
        typeLine(&terminal, QStringLiteral("sleep 60"));
        QTest::qWait(300);
        QTest::keyClick(&terminal, Qt::Key_C, Qt::ControlModifier);
        typeLine(&terminal, QStringLiteral("echo after-$((2+3))"));
        // Without the interrupt the shell would sit in sleep for a minute.
        QTRY_VERIFY2_WITH_TIMEOUT(hasLine(terminal.screenText(), QStringLiteral("after-5")),
                                  qPrintable(terminal.screenText()), 5000);
        terminal.closeFd();
        QVERIFY(reaped(shell.pid, 5000));
    }

    void showsAVmSerialConsoleAndRunsCommandsInIt()
    {
        // The tiny VM's serial port on a socket, as virDomainOpenConsole hands it over.
        TinyVm vm;
        QString error;
        QVERIFY2(vm.start(TinyVm::Console::Serial, &error), qPrintable(error));
        const int fd = vm.connect(&error);
        QVERIFY2(fd >= 0, qPrintable(error));
        TerminalWidget terminal;
        terminal.resize(900, 560);
        terminal.show();
        QVERIFY(QTest::qWaitForWindowExposed(&terminal));
        terminal.setFd(fd);
        // The boot banner, then the guest's shell prompt (TCG boots in seconds, a loaded host
        // takes longer).
        QTRY_VERIFY_WITH_TIMEOUT(allText(terminal).contains(QStringLiteral("Linux version ") + vm.kernelRelease()),
                                 60000);
        QTRY_VERIFY_WITH_TIMEOUT(terminal.screenText().contains(QStringLiteral("guest# ")), 60000);
        QVERIFY(terminal.grab().save(outputPath(QStringLiteral("terminal-serial-boot.png"))));
        typeLine(&terminal, QStringLiteral("uname -r"));
        QTRY_VERIFY2_WITH_TIMEOUT(terminal.screenText().split(QLatin1Char('\n')).contains(vm.kernelRelease()),
                                  qPrintable(terminal.screenText()), 20000);
        QVERIFY(terminal.grab().save(outputPath(QStringLiteral("terminal-serial-uname.png"))));

        // The VM stops: the console says so.
        QSignalSpy closed(&terminal, &TerminalWidget::closed);
        vm.stop();
        QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, 10000);
        QVERIFY2(terminal.statusText().startsWith(QStringLiteral("Console closed")), qPrintable(terminal.statusText()));
    }

    void saysSoWhenThereIsNoConsoleOrItCloses()
    {
        TerminalWidget terminal;
        terminal.resize(640, 360);
        terminal.show();
        QVERIFY(QTest::qWaitForWindowExposed(&terminal));
        QVERIFY(!terminal.isConnected());
        QVERIFY(terminal.statusText().contains(QStringLiteral("not running")));
        QVERIFY(terminal.grab().save(outputPath(QStringLiteral("terminal-no-console.png"))));

        const Shell shell = startShell();
        QSignalSpy closed(&terminal, &TerminalWidget::closed);
        terminal.setFd(shell.master);
        QVERIFY(terminal.statusText().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(terminal.screenText().contains(QStringLiteral("$")), 10000);
        typeLine(&terminal, QStringLiteral("exit"));
        QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, 10000);
        QVERIFY(!terminal.isConnected());
        QVERIFY2(terminal.statusText().startsWith(QStringLiteral("Console closed")), qPrintable(terminal.statusText()));
        QVERIFY(terminal.grab().save(outputPath(QStringLiteral("terminal-closed.png"))));
        QVERIFY(reaped(shell.pid, 5000));

        // Reconnecting (the instance restarted) gives a fresh, live terminal.
        const Shell again = startShell();
        terminal.setFd(again.master);
        QVERIFY(terminal.isConnected());
        QVERIFY(terminal.statusText().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(terminal.screenText().contains(QStringLiteral("$")), 10000);
        typeLine(&terminal, QStringLiteral("echo again-$((1+1))"));
        QTRY_VERIFY_WITH_TIMEOUT(hasLine(terminal.screenText(), QStringLiteral("again-2")), 10000);
        terminal.closeFd();
        QVERIFY(reaped(again.pid, 5000));
    }

    void closingLeavesNoFdAndNoThread()
    {
        {
            // Fonts, X resources and the like are loaded by the first terminal: not a leak.
            TerminalWidget warmUp;
            warmUp.show();
            QVERIFY(QTest::qWaitForWindowExposed(&warmUp));
        }
        warmUpImageScaling();
        const QSet<QString> fdsBefore = openFds();
        const int threadsBefore = threadCount();
        const Shell shell = startShell();
        {
            auto *terminal = new TerminalWidget;
            terminal->show();
            QVERIFY(QTest::qWaitForWindowExposed(terminal));
            terminal->setFd(shell.master);
            typeLine(terminal, QStringLiteral("echo $((6*7))"));
            QTRY_VERIFY_WITH_TIMEOUT(hasLine(terminal->screenText(), QStringLiteral("42")), 10000);
            delete terminal; // the tab closes with the shell still running
        }
        QVERIFY(reaped(shell.pid, 5000)); // its pty master was closed, so the shell got SIGHUP
        QTest::qWait(100);
        QVERIFY2(openFds() - fdsBefore == QSet<QString>(), qPrintable(leakedFds(fdsBefore)));
        QVERIFY2(threadCount() <= threadsBefore, qPrintable(QString::number(threadCount())));
    }
};

QTEST_MAIN(TestTerminalWidget)
#include "tst_terminalwidget.moc"
