// Issue 15 acceptance 5, the CI version: cycles of create/start/stop/delete of a container (100)
// and of the tiny VM (3) against the real helper, runc and libvirt. At the end the helper's open
// fds, the mounts under its state dir, its cgroups and the QEMU processes are what they were
// before, and its RSS grew by less than 5 MiB. tests/soak/run-soak runs the full length (1000
// and 50) through HAMLET_SOAK_CONTAINER_CYCLES and HAMLET_SOAK_VM_CYCLES.
#include "helperfootprint.h"

#include <QElapsedTimer>
#include <QTest>

#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {

int cyclesFromEnvironment(const char *name, int fallback)
{
    bool ok = false;
    const int value = qEnvironmentVariableIntValue(name, &ok);
    return ok && value > 0 ? value : fallback;
}

} // namespace

class TestSoak : public QObject
{
    Q_OBJECT

    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;

    // One create (which starts it), stop, start, stop, delete; "" when every step worked.
    QString cycle(const QString &kind, const QString &name, const QVariantMap &spec)
    {
        if (QString failed = createAndWait(*m_client, kind, name, spec); !failed.isEmpty())
            return QStringLiteral("create: ") + failed;
        QString failure;
        valueOr(QCoro::waitFor(m_client->stop(name, true)), &failure);
        if (failure.isEmpty())
            valueOr(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Start"))), &failure);
        if (failure.isEmpty())
            valueOr(QCoro::waitFor(m_client->stop(name, true)), &failure);
        if (failure.isEmpty())
            valueOr(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete"))), &failure);
        return failure;
    }

    // Runs `cycles` cycles; the first one before the "before" footprint (caches, libvirt's
    // connection, the first runc state dir are not leaks).
    void soak(const QString &kind, const QVariantMap &spec, int cycles)
    {
        QCOMPARE(cycle(kind, kind + QStringLiteral("-warm"), spec), QString());
        // The footprint sees an instance (so it would see one left behind).
        const HelperFootprint idle = footprintOf(m_system);
        QCOMPARE(createAndWait(*m_client, kind, kind + QStringLiteral("-seen"), spec), QString());
        const HelperFootprint running = footprintOf(m_system);
        QVERIFY2(kind == QLatin1String("vm") ? running.qemus > idle.qemus
                                             : running.mounts > idle.mounts && running.cgroups > idle.cgroups,
                 qPrintable(running.describe()));
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->stop(kind + QStringLiteral("-seen"), true))));
        QVERIFY(std::holds_alternative<bool>(
            QCoro::waitFor(m_client->instanceCall(kind + QStringLiteral("-seen"), QStringLiteral("Delete")))));
        const HelperFootprint before = footprintOf(m_system);
        QElapsedTimer elapsed;
        elapsed.start();
        for (int i = 0; i < cycles; ++i) {
            const QString failed = cycle(kind, QStringLiteral("%1-%2").arg(kind).arg(i), spec);
            QVERIFY2(failed.isEmpty(), qPrintable(QStringLiteral("cycle %1: %2").arg(i).arg(failed)));
            if ((i + 1) % std::max(1, cycles / 10) == 0)
                qInfo("%s: %d cycles, RSS %llu KiB", qPrintable(kind), i + 1, rssKiBOf(m_system.helperPid()));
        }
        const double seconds = elapsed.elapsed() / 1000.0;
        // QEMU of the last stop may take a moment to go; fds of the last calls to close.
        QTRY_VERIFY_WITH_TIMEOUT(footprintOf(m_system).qemus == before.qemus, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(footprintOf(m_system).fds <= before.fds, 5000);
        const HelperFootprint after = footprintOf(m_system);
        qInfo("%s: %d cycles in %.1f s (%.2f cycles/s)", qPrintable(kind), cycles, seconds, cycles / seconds);
        qInfo("%s before: %s", qPrintable(kind), qPrintable(before.describe()));
        qInfo("%s after:  %s", qPrintable(kind), qPrintable(after.describe()));
        QVERIFY2(after.fds <= before.fds, qPrintable(after.describe()));
        QCOMPARE(after.mounts, before.mounts);
        QCOMPARE(after.cgroups, before.cgroups);
        QCOMPARE(after.qemus, before.qemus);
        QVERIFY2(
            after.rssKiB < before.rssKiB + 5 * 1024,
            qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(qlonglong(after.rssKiB) - qlonglong(before.rssKiB))));
        const auto list = QCoro::waitFor(m_client->listInstances());
        QVERIFY(std::holds_alternative<InstanceSummaryList>(list));
        QCOMPARE(std::get<InstanceSummaryList>(list).size(), 0);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        // libvirt's QEMU capability probe at the helper's start is not an instance's QEMU.
        QVERIFY(waitUntilNoQemuOf(m_system, 60000));
    }

    void containerCycles_leaveNothingBehind()
    {
        const QVariantMap sleeper {
            {QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}}};
        soak(QStringLiteral("container"), sleeper, cyclesFromEnvironment("HAMLET_SOAK_CONTAINER_CYCLES", 100));
    }

    void tinyVmCycles_leaveNothingBehind()
    {
        const QVariantMap tiny {{QStringLiteral("source"), QStringLiteral("tiny")},
                                {QStringLiteral("memory"), QVariant::fromValue(128ull * 1024 * 1024)},
                                {QStringLiteral("vcpus"), 1u}};
        soak(QStringLiteral("vm"), tiny, cyclesFromEnvironment("HAMLET_SOAK_VM_CYCLES", 3));
    }
};

QTEST_GUILESS_MAIN(TestSoak)
#include "tst_soak.moc"
