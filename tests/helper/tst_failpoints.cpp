// Issue 15 acceptance 1: at every fail point (core/failpoints.h) the helper either dies there
// (SIGKILL, as a crash would) or the step returns an error. Afterwards (after a restart for a
// crash) the instance is either gone or listed in a state that works and can be deleted; no mount,
// cgroup, container directory, runtime state, guest files or QEMU process is left that no record
// owns; and a create of the same name then succeeds. One table, real runc and libvirt (TCG).
#include "failpoints.h"
#include "helperfootprint.h"

#include <QTest>

#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {

QVariantMap specFor(const QString &kind)
{
    if (kind == QLatin1String("vm"))
        return {{QStringLiteral("source"), QStringLiteral("tiny")},
                {QStringLiteral("memory"), QVariant::fromValue(128ull * 1024 * 1024)},
                {QStringLiteral("vcpus"), 1u}};
    return {{QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}}};
}

QStringList entriesOf(const QString &dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
}

} // namespace

class TestFailPoints : public QObject
{
    Q_OBJECT

    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;
    int m_row = 0;

    bool startHelper(const QByteArray &failPoint)
    {
        if (failPoint.isEmpty())
            qunsetenv("HAMLET_FAILPOINT");
        else
            qputenv("HAMLET_FAILPOINT", failPoint);
        const bool started = m_system.startHelper();
        qunsetenv("HAMLET_FAILPOINT");
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        return started;
    }

    QStringList listed()
    {
        QStringList names;
        const auto list = QCoro::waitFor(m_client->listInstances());
        if (const auto *instances = std::get_if<InstanceSummaryList>(&list)) {
            for (const InstanceSummary &instance : *instances)
                names << instance.name;
        }
        return names;
    }

    // What is on the host for instances that the helper no longer lists.
    QString unownedLeftovers()
    {
        QStringList found;
        const HelperFootprint footprint = footprintOf(m_system);
        if (footprint.mounts || footprint.cgroups || footprint.qemus)
            found << footprint.describe();
        for (const QString &dir :
             {m_system.stateDir() + QStringLiteral("/containers"), m_system.stateDir() + QStringLiteral("/instances"),
              m_system.runDir() + QStringLiteral("/runc"), m_system.runDir() + QStringLiteral("-vmfiles")}) {
            for (const QString &entry : entriesOf(dir)) {
                if (!entry.startsWith(QLatin1Char('.')))
                    found << dir + QLatin1Char('/') + entry;
            }
        }
        return found.join(QStringLiteral("; "));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(startHelper({}), qPrintable(m_system.error()));
        // The stages of the table are the list the code uses: a stage added there is tested here.
        QCOMPARE(FailPoints::All.size(), size_t(7));
    }

    void failPoint_leavesNothingThatNoRecordOwns_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("stage");
        QTest::addColumn<QString>("action");
        for (const std::string_view stage : FailPoints::All) {
            const QString name = QString::fromLatin1(stage.data(), qsizetype(stage.size()));
            const QString kind
                = name.startsWith(QLatin1String("vm-")) ? QStringLiteral("vm") : QStringLiteral("container");
            for (const QString &action : {QStringLiteral("abort"), QStringLiteral("error")})
                QTest::addRow("%s:%s", qPrintable(name), qPrintable(action)) << kind << name << action;
        }
    }

    void failPoint_leavesNothingThatNoRecordOwns()
    {
        QFETCH(QString, kind);
        QFETCH(QString, stage);
        QFETCH(QString, action);
        const bool deleting = stage.contains(QLatin1String("delete"));
        const QString name = QStringLiteral("fp%1").arg(++m_row);
        QVERIFY2(startHelper((stage + QLatin1Char(':') + action).toUtf8()), qPrintable(m_system.error()));

        QString failure;
        if (deleting) {
            QCOMPARE(createAndWait(*m_client, kind, name, specFor(kind)), QString());
            valueOr(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete"))), &failure);
        } else {
            failure = createAndWait(*m_client, kind, name, specFor(kind));
        }
        QVERIFY2(!failure.isEmpty(), "the step at the fail point succeeded");
        if (action == QLatin1String("abort")) {
            QTRY_VERIFY_WITH_TIMEOUT(!m_system.helperRunning(), 10000);
        } else {
            QVERIFY2(failure.contains(QStringLiteral("fail point ") + stage), qPrintable(failure));
            QVERIFY(m_system.helperRunning());
        }

        // A restart in both cases: after a crash it is the recovery; after an error, the
        // record left must load like any other.
        QVERIFY2(startHelper({}), qPrintable(m_system.error()));
        if (listed().contains(name)) {
            const QString state = instanceState(*m_client, name);
            QVERIFY2(QStringList({QStringLiteral("running"), QStringLiteral("stopped"), QStringLiteral("failed")})
                         .contains(state),
                     qPrintable(state));
            QString refused;
            valueOr(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete"))), &refused);
            QVERIFY2(refused.isEmpty(), qPrintable(state + QStringLiteral(": ") + refused));
        }
        QCOMPARE(listed(), QStringList());
        QTRY_COMPARE_WITH_TIMEOUT(unownedLeftovers(), QString(), 10000);

        QCOMPARE(createAndWait(*m_client, kind, name, specFor(kind)), QString());
        QCOMPARE(instanceState(*m_client, name), QStringLiteral("running"));
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete")))));
        QTRY_COMPARE_WITH_TIMEOUT(unownedLeftovers(), QString(), 10000);
    }
};

QTEST_GUILESS_MAIN(TestFailPoints)
#include "tst_failpoints.moc"
