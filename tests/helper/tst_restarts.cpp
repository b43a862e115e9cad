// Issue 20 acceptance 5: restart policies through the whole stack (real bus, polkitd, helper,
// runc): on-failure:3 restarts a failing container three times and then leaves it "failed";
// always brings one back after a helper restart; a person's Stop is never undone; a bad policy
// is refused and nothing is made.
#include "clienttest.h"
#include "errors.h"
#include "testsystem.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QTest>

#include <QCoro/QCoroTask>
#include <csignal>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {
QVariantMap spec(const QString &restart, const QString &script)
{
    return {{QStringLiteral("command"), QStringList {QStringLiteral("sh"), QStringLiteral("-c"), script}},
            {QStringLiteral("network"), QStringLiteral("none")},
            {QStringLiteral("restart"), restart}};
}
} // namespace

class TestRestarts : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;

    // Waits until the instance's State is `state`; returns its properties then (empty: timeout).
    QVariantMap waitForState(const QString &name, const QString &state, int timeoutMs = 20000)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (!deadline.hasExpired()) {
            const QVariantMap properties = instanceProperties(*m_client, name);
            if (properties.value(QStringLiteral("State")).toString() == state)
                return properties;
            QTest::qWait(50);
        }
        return {};
    }

    qint64 pidOf(const QString &name)
    {
        const auto parts = QCoro::waitFor(m_client->inspect(name));
        const auto *values = std::get_if<QVariantMap>(&parts);
        return values ? values->value(QStringLiteral("pid")).toLongLong() : 0;
    }

    QString upperFile(const QString &name, const QString &file) const
    {
        return m_system.stateDir() + QStringLiteral("/containers/%1/upper/%2").arg(name, file);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
    }

    void badPolicy_isRefused_andNothingIsMade()
    {
        const QString refused = createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("bad1"),
                                              spec(QStringLiteral("on-failure:0"), QStringLiteral("true")));
        QVERIFY2(refused.startsWith(Error::InvalidArgument), qPrintable(refused));
        QVERIFY2(refused.contains(QStringLiteral("on-failure:N")), qPrintable(refused));
        QVERIFY(!QFile::exists(m_system.stateDir() + QStringLiteral("/instances/bad1.json")));
        QVERIFY(!QFile::exists(m_system.stateDir() + QStringLiteral("/containers/bad1")));
        QVERIFY(instanceProperties(*m_client, QStringLiteral("bad1")).isEmpty());
    }

    void onFailure3_restartsThreeTimes_thenFails()
    {
        // Each run leaves a line in its upper dir (kept across restarts), then fails.
        QElapsedTimer timer;
        timer.start();
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("flaky"),
                               spec(QStringLiteral("on-failure:3"), QStringLiteral("echo run >> /runs; exit 1"))),
                 QString());
        const QVariantMap failed = waitForState(QStringLiteral("flaky"), QStringLiteral("failed"));
        QVERIFY2(!failed.isEmpty(), qPrintable(instanceState(*m_client, QStringLiteral("flaky"))));
        const qint64 elapsed = timer.elapsed();
        QCOMPARE(failed.value(QStringLiteral("RestartCount")).toUInt(), 3u);
        QCOMPARE(failed.value(QStringLiteral("ExitCode")).toInt(), 1);
        const qulonglong first = failed.value(QStringLiteral("FirstRestartAt")).toULongLong();
        const qulonglong last = failed.value(QStringLiteral("LastRestartAt")).toULongLong();
        QVERIFY(first > 0 && last >= first);
        // The back-off: 100 + 200 ms at least between the first and the last restart.
        QVERIFY2(last - first >= 300, qPrintable(QString::number(last - first)));
        const QString error = failed.value(QStringLiteral("Error")).toString();
        QVERIFY2(error.contains(QStringLiteral("on-failure:3")) && error.contains(QStringLiteral("3 restarts")),
                 qPrintable(error));
        QCOMPARE(readFile(upperFile(QStringLiteral("flaky"), QStringLiteral("runs"))),
                 QByteArray("run\nrun\nrun\nrun\n"));
        qInfo("on-failure:3: created, ran 4 times and failed in %lld ms; first to third restart %llu ms", elapsed,
              last - first);
        // It stays failed: no fifth run.
        QTest::qWait(700);
        QCOMPARE(instanceState(*m_client, QStringLiteral("flaky")), QStringLiteral("failed"));
        QCOMPARE(readFile(upperFile(QStringLiteral("flaky"), QStringLiteral("runs"))).count("run"), 4);
        // A person's start begins a new series.
        QVERIFY(std::holds_alternative<bool>(
            QCoro::waitFor(m_client->instanceCall(QStringLiteral("flaky"), QStringLiteral("Start")))));
        QVERIFY(!waitForState(QStringLiteral("flaky"), QStringLiteral("failed")).isEmpty());
        QCOMPARE(readFile(upperFile(QStringLiteral("flaky"), QStringLiteral("runs"))).count("run"), 8);
    }

    void onFailure_leavesACleanExitStopped()
    {
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("clean"),
                               spec(QStringLiteral("on-failure"), QStringLiteral("exit 0"))),
                 QString());
        const QVariantMap stopped = waitForState(QStringLiteral("clean"), QStringLiteral("stopped"));
        QVERIFY(!stopped.isEmpty());
        QCOMPARE(stopped.value(QStringLiteral("ExitCode")).toInt(), 0);
        QTest::qWait(400);
        QCOMPARE(instanceProperties(*m_client, QStringLiteral("clean")).value(QStringLiteral("RestartCount")).toUInt(),
                 0u);
    }

    void stopWhileRestarting_isNeverUndone()
    {
        // "always" with a process that exits at once: the back-off grows, and Stop ends it.
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("looper"),
                               spec(QStringLiteral("always"), QStringLiteral("echo run >> /runs; sleep 0.2"))),
                 QString());
        QVERIFY(!waitForState(QStringLiteral("looper"), QStringLiteral("restarting")).isEmpty());
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->stop(QStringLiteral("looper"), false))));
        QCOMPARE(instanceState(*m_client, QStringLiteral("looper")), QStringLiteral("stopped"));
        const QByteArray runs = readFile(upperFile(QStringLiteral("looper"), QStringLiteral("runs")));
        QTest::qWait(1500); // longer than any back-off it had reached
        QCOMPARE(instanceState(*m_client, QStringLiteral("looper")), QStringLiteral("stopped"));
        QCOMPARE(readFile(upperFile(QStringLiteral("looper"), QStringLiteral("runs"))), runs);
    }

    void always_bringsAContainerBackAfterAHelperRestart()
    {
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("keeper"),
                               spec(QStringLiteral("always"), QStringLiteral("exec sleep 3600"))),
                 QString());
        const qint64 before = pidOf(QStringLiteral("keeper"));
        QVERIFY(before > 0);
        // looper stays stopped by its person across the helper restart too.
        m_system.stopHelper(SIGTERM);
        QVERIFY(!m_system.helperRunning());
        // The container ends while no helper is there to see it.
        QCOMPARE(::kill(static_cast<pid_t>(before), SIGKILL), 0);
        QDeadlineTimer gone(5000);
        while (QFile::exists(QStringLiteral("/proc/%1/cmdline").arg(before))
               && !readFile(QStringLiteral("/proc/%1/cmdline").arg(before)).isEmpty() && !gone.hasExpired())
            QTest::qWait(20);
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());

        const QVariantMap running = waitForState(QStringLiteral("keeper"), QStringLiteral("running"));
        QVERIFY2(!running.isEmpty(), qPrintable(instanceState(*m_client, QStringLiteral("keeper"))));
        QCOMPARE(running.value(QStringLiteral("RestartCount")).toUInt(), 1u);
        const qint64 after = pidOf(QStringLiteral("keeper"));
        QVERIFY(after > 0 && after != before);
        QCOMPARE(instanceState(*m_client, QStringLiteral("looper")), QStringLiteral("stopped"));
        QCOMPARE(instanceState(*m_client, QStringLiteral("flaky")), QStringLiteral("failed"));
    }

    void cleanupTestCase()
    {
        if (!m_client)
            return;
        for (const char *name : {"flaky", "clean", "looper", "keeper"})
            QCoro::waitFor(m_client->instanceCall(QString::fromLatin1(name), QStringLiteral("Delete")));
    }
};

QTEST_GUILESS_MAIN(TestRestarts)
#include "tst_restarts.moc"
