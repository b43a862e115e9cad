// Issue 15 acceptance 4: hostile bus input. hamlet-test-busfuzz calls every method of the
// contract as the allowed test user, with random and wrong-typed arguments, against the real
// helper, runc and libvirt, for HAMLET_BUSFUZZ_SECONDS (120 in CI). The helper never crashes or
// hangs, every refused call is one of the contract's named errors, and afterwards every instance
// it made can be deleted and nothing is left: no mount, cgroup or QEMU process, no record, and
// its fds are where they were.
#include "helperfootprint.h"

#include <QTest>

#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

class TestBusFuzz : public QObject
{
    Q_OBJECT

    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        QVERIFY(waitUntilNoQemuOf(m_system, 60000)); // libvirt's start-up probe
    }

    void randomCalls_onlyNamedErrors_andNothingLeftBehind()
    {
        const HelperFootprint before = footprintOf(m_system);
        bool ok = false;
        int seconds = qEnvironmentVariableIntValue("HAMLET_BUSFUZZ_SECONDS", &ok);
        seconds = ok && seconds > 0 ? seconds : 120;
        QStringList arguments {QStringLiteral("--bus"),     m_system.busAddress(),
                               QStringLiteral("--xml-dir"), TestSystem::sourceDir() + QStringLiteral("/resources/dbus"),
                               QStringLiteral("--seconds"), QString::number(seconds)};
        if (const QString seed = qEnvironmentVariable("HAMLET_BUSFUZZ_SEED"); !seed.isEmpty())
            arguments << QStringLiteral("--seed") << seed;
        const Run fuzz = m_system.run(TestSystem::AllowedUser, QStringLiteral(HAMLET_BUSFUZZ_PROGRAM), arguments,
                                      (seconds + 90) * 1000);
        qInfo("%s", fuzz.out.constData());
        QVERIFY2(fuzz.exitCode == 0, fuzz.out.right(3000).constData());
        QVERIFY2(fuzz.out.contains("violations 0"), fuzz.out.right(1000).constData());
        QVERIFY2(m_system.helperRunning(), qPrintable(m_system.helperLog().right(3000)));

        // Creations still running finish, then everything the fuzzer made goes.
        QTRY_VERIFY_WITH_TIMEOUT(
            [this] {
                const auto list = QCoro::waitFor(m_client->listInstances());
                const auto *instances = std::get_if<InstanceSummaryList>(&list);
                return instances && std::none_of(instances->cbegin(), instances->cend(), [](const InstanceSummary &i) {
                           return i.state == QLatin1String("creating");
                       });
            }(),
            60000);
        const auto list = QCoro::waitFor(m_client->listInstances());
        QVERIFY(std::holds_alternative<InstanceSummaryList>(list));
        qInfo("instances left by the fuzzer: %lld", static_cast<long long>(std::get<InstanceSummaryList>(list).size()));
        for (const InstanceSummary &instance : std::get<InstanceSummaryList>(list)) {
            QString failure;
            valueOr(QCoro::waitFor(m_client->instanceCall(instance.name, QStringLiteral("Delete"))), &failure);
            QVERIFY2(failure.isEmpty(), qPrintable(instance.name + QStringLiteral(": ") + failure));
        }
        QTRY_COMPARE_WITH_TIMEOUT(footprintOf(m_system).qemus, 0, 10000);
        // A cleanup still in flight (a network DEL and its retries, a runtime's delete) holds a pipe
        // to its child and a worker thread for a moment: what stays after 15 s is what leaked.
        HelperFootprint after = footprintOf(m_system);
        QElapsedTimer settling;
        settling.start();
        while (after.fds > before.fds + 2 && settling.elapsed() < 15000) {
            QTest::qWait(250);
            after = footprintOf(m_system);
        }
        qInfo("before: %s; after (%lld ms later): %s", qPrintable(before.describe()), settling.elapsed(),
              qPrintable(after.describe()));
        QCOMPARE(after.mounts, before.mounts);
        QCOMPARE(after.cgroups, before.cgroups);
        QVERIFY2(after.fds <= before.fds + 2, qPrintable(after.describe()));
        QCOMPARE(QDir(m_system.stateDir() + QStringLiteral("/instances")).entryList({QStringLiteral("*.json")}),
                 QStringList());
        QCOMPARE(QDir(m_system.stateDir() + QStringLiteral("/containers")).entryList(QDir::Dirs | QDir::NoDotAndDotDot),
                 QStringList());
    }
};

QTEST_GUILESS_MAIN(TestBusFuzz)
#include "tst_busfuzz.moc"
