// The Console tab's widgets over the fds the real helper hands out (OpenConsole), for real
// containers run by runc, on a private bus with real polkitd, drawn on a real X server (Xvfb).
#include "clienttest.h"
#include "console/logview.h"
#include "console/terminalwidget.h"
#include "helperclient.h"
#include "resourcecheck.h"
#include "testsystem.h"

#include <QSignalSpy>
#include <QTest>

#include <unistd.h>

using Hamlet::HelperClient;
using Hamlet::LogView;
using Hamlet::TerminalWidget;
using namespace Hamlet::Test;

namespace {
bool hasLine(const QString &screen, const QString &line)
{
    const QStringList lines = screen.split(QLatin1Char('\n'));
    return std::any_of(lines.cbegin(), lines.cend(), [&](const QString &shown) {
        return shown == line || shown.endsWith(QStringLiteral("# ") + line);
    });
}
} // namespace

class TestConsoleIntegration : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;
    // Unique on this machine: container cgroups and mounts are host-wide, and other test runs
    // (and their leftovers) use short names like tty1 too.
    const QString m_tty = QStringLiteral("console-tty-%1").arg(QCoreApplication::applicationPid());
    const QString m_log = QStringLiteral("console-log-%1").arg(QCoreApplication::applicationPid());

    // The fd, or -1 with the D-Bus error in failure.
    int openConsole(const QString &name, QString *failure)
    {
        failure->clear();
        const int fd = valueOr(QCoro::waitFor(m_client->openFd(name, QStringLiteral("OpenConsole"))), failure);
        return failure->isEmpty() ? fd : -1;
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
        for (const QString &name : {m_tty, m_log}) {
            QCoro::waitFor(m_client->stop(name, true));
            QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete")));
        }
    }

    void ttyContainerAnswersInTheTerminal()
    {
        const QVariantMap spec {{QStringLiteral("image"), QStringLiteral("busybox")},
                                {QStringLiteral("command"), QStringList {QStringLiteral("sh")}},
                                {QStringLiteral("tty"), true}};
        QString failure = createAndWait(*m_client, QStringLiteral("container"), m_tty, spec);
        if (!failure.isEmpty())
            qWarning().noquote() << "helper log:\n" << m_system.helperLog();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        valueOr(QCoro::waitFor(m_client->instanceCall(m_tty, QStringLiteral("Start"))), &failure);
        if (!failure.isEmpty())
            qWarning().noquote() << "helper log:\n" << m_system.helperLog();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));

        TerminalWidget terminal;
        terminal.resize(720, 420);
        terminal.show();
        QVERIFY(QTest::qWaitForWindowExposed(&terminal));
        QVERIFY(terminal.grab().save(outputPath(QStringLiteral("console-container-not-connected.png"))));
        warmUpImageScaling();
        const QSet<QString> fdsBefore = openFds();
        const QStringList threadsBefore = threads();
        const int fd = openConsole(m_tty, &failure);
        QVERIFY2(fd >= 0, qPrintable(failure));
        terminal.setFd(fd);
        QTest::keyClick(&terminal, Qt::Key_Return); // the shell printed its prompt before we came
        QTRY_VERIFY2_WITH_TIMEOUT(terminal.screenText().contains(QStringLiteral("/ #")),
                                  qPrintable(terminal.screenText() + terminal.statusText() + m_system.helperLog()),
                                  10000);
        QTest::keyClicks(&terminal, QStringLiteral("echo $((6*7))"));
        QTest::keyClick(&terminal, Qt::Key_Return);
        QTRY_VERIFY2_WITH_TIMEOUT(hasLine(terminal.screenText(), QStringLiteral("42")),
                                  qPrintable(terminal.screenText()), 10000);

        terminal.resize(560, 300);
        const QString expected = QStringLiteral("%1 %2").arg(terminal.rows()).arg(terminal.columns());
        QTest::keyClicks(&terminal, QStringLiteral("clear; stty size"));
        QTest::keyClick(&terminal, Qt::Key_Return);
        QTRY_VERIFY2_WITH_TIMEOUT(hasLine(terminal.screenText(), expected),
                                  qPrintable(expected + QStringLiteral(" not in:\n") + terminal.screenText()), 10000);
        QVERIFY(terminal.grab().save(outputPath(QStringLiteral("console-container-tty.png"))));

        // Stopping the container ends the console; the widget says so and holds no fd.
        QSignalSpy closed(&terminal, &TerminalWidget::closed);
        valueOr(QCoro::waitFor(m_client->stop(m_tty, true)), &failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, 15000);
        QVERIFY2(terminal.statusText().startsWith(QStringLiteral("Console closed")), qPrintable(terminal.statusText()));
        QVERIFY(terminal.grab().save(outputPath(QStringLiteral("console-container-stopped.png"))));
        QVERIFY2(openFds() - fdsBefore == QSet<QString>(),
                 qPrintable(leakedFds(fdsBefore) + QStringLiteral(" threads before: ")
                            + threadsBefore.join(QLatin1Char(' ')) + QStringLiteral(" now: ")
                            + threads().join(QLatin1Char(' '))));
    }

    void containerWithoutTtyShowsItsLogLive()
    {
        const QVariantMap spec {
            {QStringLiteral("image"), QStringLiteral("busybox")},
            {QStringLiteral("command"),
             QStringList {QStringLiteral("sh"), QStringLiteral("-c"),
                          QStringLiteral("echo hello from the log; sleep 2; echo second line; sleep 60")}}};
        QString failure = createAndWait(*m_client, QStringLiteral("container"), m_log, spec);
        if (!failure.isEmpty())
            qWarning().noquote() << "helper log:\n" << m_system.helperLog();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        valueOr(QCoro::waitFor(m_client->instanceCall(m_log, QStringLiteral("Start"))), &failure);
        if (!failure.isEmpty())
            qWarning().noquote() << "helper log:\n" << m_system.helperLog();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));

        LogView log;
        log.resize(640, 300);
        log.show();
        QVERIFY(QTest::qWaitForWindowExposed(&log));
        const int fd = openConsole(m_log, &failure);
        QVERIFY2(fd >= 0, qPrintable(failure));
        log.setFd(fd);
        QTRY_VERIFY_WITH_TIMEOUT(log.text().contains(QStringLiteral("hello from the log")), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(log.text().contains(QStringLiteral("second line")), 10000); // followed live
        QVERIFY(log.grab().save(outputPath(QStringLiteral("console-container-log.png"))));
        log.closeFd();
    }
};

QTEST_MAIN(TestConsoleIntegration)
#include "tst_consoleintegration.moc"
