// The Console and Display tabs of the main window against the real helper: a tty container's
// terminal answers, a container without a tty shows its log, the tiny VM's serial console shows
// its kernel, and the Display tab says what a container or a tiny VM has instead of a screen.
#include "clienttest.h"
#include "console/logview.h"
#include "console/terminalwidget.h"
#include "consolepage.h"
#include "detailspane.h"
#include "display/displaywidget.h"
#include "displaypage.h"
#include "instancelistmodel.h"
#include "mainwindow.h"
#include "testsystem.h"
#include "windowontestsystem.h"

#include <QApplication>
#include <QDir>
#include <QPushButton>
#include <QTabBar>
#include <QTabWidget>
#include <QTest>

using namespace Hamlet;
using namespace Hamlet::Test;

class TestConsoleTabs : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;
    std::unique_ptr<MainWindow> m_window;

    void openTab(const QString &name, DetailsPane::Tab tab)
    {
        QTRY_VERIFY_WITH_TIMEOUT(m_window->model()->instance(name) != nullptr, 10000);
        QVERIFY(m_window->showInstance(name));
        m_window->details()->showTab(tab);
    }

    void save(const QString &file)
    {
        const QString dir = qEnvironmentVariable("HAMLET_TEST_OUTPUT", QDir::tempPath());
        QDir().mkpath(dir);
        QVERIFY(m_window->grab().save(dir + QLatin1Char('/') + file));
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString started = startWindowOnTestSystem(m_system, m_client, m_window);
        QVERIFY2(started.isEmpty(), qPrintable(started));
    }

    void ttyContainer_consoleTabRunsCommands()
    {
        QCOMPARE(createAndWait(
                     *m_client, QStringLiteral("container"), QStringLiteral("shell1"),
                     {{QStringLiteral("command"), QStringList {QStringLiteral("sh")}}, {QStringLiteral("tty"), true}}),
                 QString());
        openTab(QStringLiteral("shell1"), DetailsPane::ConsoleTab);
        TerminalWidget *terminal = m_window->details()->console()->terminal();
        QTRY_VERIFY_WITH_TIMEOUT(terminal->isConnected() && terminal->isVisible(), 10000);
        terminal->setFocus();
        QTest::keyClicks(terminal, QStringLiteral("echo $((6*7))"));
        QTest::keyClick(terminal, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(terminal->screenText().contains(QStringLiteral("\n42")), 10000);
        save(QStringLiteral("details-console-container.png"));

        m_window->details()->showTab(DetailsPane::DisplayTab);
        QTRY_VERIFY(m_window->details()->displayPage()->display()->statusText().contains(QStringLiteral("container")));
    }

    void stoppedContainer_consoleTabSaysSo()
    {
        m_window->details()->showTab(DetailsPane::ConsoleTab);
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->stop(QStringLiteral("shell1"), true))));
        QTRY_VERIFY_WITH_TIMEOUT(m_window->details()->console()->message().contains(QStringLiteral("start it")), 10000);
        QCoro::waitFor(m_client->instanceCall(QStringLiteral("shell1"), QStringLiteral("Delete")));
    }

    void containerWithoutTty_consoleTabFollowsItsLog()
    {
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("talker"),
                               {{QStringLiteral("command"),
                                 QStringList {QStringLiteral("sh"), QStringLiteral("-c"),
                                              QStringLiteral("echo hello-from-talker; sleep 3600")}}}),
                 QString());
        openTab(QStringLiteral("talker"), DetailsPane::ConsoleTab);
        LogView *log = m_window->details()->console()->log();
        QTRY_VERIFY_WITH_TIMEOUT(log->text().contains(QStringLiteral("hello-from-talker")), 10000);
    }

    void newShell_opensATabWithAShellInTheContainer()
    {
        ConsolePage *console = m_window->details()->console();
        QPushButton *button = console->newShellButton();
        QTRY_VERIFY(button->isVisible() && button->isEnabled());
        QVERIFY(console->sessions()->tabBar()->isHidden()); // the main console alone: no tab bar
        QTest::mouseClick(button, Qt::LeftButton);
        QCOMPARE(console->sessions()->count(), 2);
        TerminalWidget *shell = console->shellTerminal(1);
        QVERIFY(shell);
        QTRY_VERIFY2_WITH_TIMEOUT(shell->isConnected() && shell->isVisible(), qPrintable(shell->statusText()), 10000);
        QTest::keyClicks(shell, QStringLiteral("echo $((6*7)); tr '\\0' ' ' < /proc/1/cmdline; echo"));
        QTest::keyClick(shell, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(shell->screenText().contains(QStringLiteral("\n42")), 10000);
        // PID 1 is the container's: its sh has exec'd the last command of its script.
        QTRY_VERIFY2_WITH_TIMEOUT(shell->screenText().contains(QStringLiteral("\nsleep 3600")),
                                  qPrintable(shell->screenText()), 10000);
        save(QStringLiteral("details-console-shell.png"));
        // Its exit shows on the tab; the main console is still there beside it.
        QTest::keyClicks(shell, QStringLiteral("exit 3"));
        QTest::keyClick(shell, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(console->sessions()->tabText(1), QStringLiteral("Shell 1 (exit 3)"), 10000);
        QCOMPARE(console->sessions()->tabText(0), QStringLiteral("Console"));
        QCoro::waitFor(m_client->instanceCall(QStringLiteral("talker"), QStringLiteral("Delete")));
    }

    void tinyVm_consoleTabShowsItsKernel()
    {
        QCOMPARE(createAndWait(*m_client, QStringLiteral("vm"), QStringLiteral("tinyc"),
                               {{QStringLiteral("source"), QStringLiteral("tiny")},
                                {QStringLiteral("memory"), QVariant::fromValue<qulonglong>(128ULL << 20)}}),
                 QString());
        openTab(QStringLiteral("tinyc"), DetailsPane::ConsoleTab);
        QVERIFY(!m_window->details()->console()->newShellButton()->isVisible()); // a shell is for containers
        QCOMPARE(m_window->details()->console()->sessions()->count(), 1); // talker's shell tab went with it
        TerminalWidget *terminal = m_window->details()->console()->terminal();
        QTRY_VERIFY_WITH_TIMEOUT(terminal->screenText().contains(QStringLiteral("Hamlet tiny VM")), 60000);
        terminal->setFocus();
        // The guest runs the kernel file from /boot: uname -r there is that file's release.
        const auto parts = QCoro::waitFor(m_client->inspect(QStringLiteral("tinyc")));
        const QString release = std::get<QVariantMap>(parts).value(QStringLiteral("kernelRelease")).toString();
        QVERIFY(!release.isEmpty());
        for (int attempt = 0; attempt < 20 && !terminal->screenText().contains(QStringLiteral("\n") + release);
             ++attempt) {
            QTest::keyClicks(terminal, QStringLiteral("uname -r"));
            QTest::keyClick(terminal, Qt::Key_Return);
            QTest::qWait(1000);
        }
        QVERIFY2(terminal->screenText().contains(release), qPrintable(terminal->screenText()));
        save(QStringLiteral("details-console-vm.png"));

        m_window->details()->showTab(DetailsPane::DisplayTab);
        QTRY_VERIFY_WITH_TIMEOUT(
            m_window->details()->displayPage()->display()->statusText().contains(QStringLiteral("display")), 10000);
        QCoro::waitFor(m_client->instanceCall(QStringLiteral("tinyc"), QStringLiteral("Delete")));
    }

    void cleanupTestCase() { m_window.reset(); }
};

QTEST_MAIN(TestConsoleTabs)
#include "tst_consoletabs.moc"
