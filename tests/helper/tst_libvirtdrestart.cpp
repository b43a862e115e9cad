// Issue 15, acceptance 2: the system libvirtd (started by the harness, QEMU as libvirt-qemu)
// restarts while a VM runs. The VM keeps running, its samples come back within 5 s of the daemon,
// and calls made meanwhile return (a list, or a named error) instead of hanging.
#include "clienttest.h"
#include "systemlibvirt.h"
#include "testsystem.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <QCoro/QCoroTask>
#include <csignal>

using namespace Hamlet;
using namespace Hamlet::Test;

class TestLibvirtdRestart : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;

    static bool hasSampleOf(const QSignalSpy &samples, const QString &name)
    {
        for (const QList<QVariant> &signal : samples)
            for (const SampleEntry &entry : signal.at(1).value<SampleBatch>())
                if (entry.name == name && entry.values.value(QStringLiteral("cpuNs")).toULongLong() > 0)
                    return true;
        return false;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        qputenv("HAMLET_TEST_LIBVIRT", "system"); // this test is about the daemon, whatever the run chose
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        QVERIFY(m_system.systemLibvirt());
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
    }

    void vmKeepsRunningAndSamplesResumeAcrossALibvirtdRestart()
    {
        const QVariantMap tiny {{QStringLiteral("source"), QStringLiteral("tiny")},
                                {QStringLiteral("memory"), QVariant::fromValue(128ULL << 20)}};
        QCOMPARE(createAndWait(*m_client, QStringLiteral("vm"), QStringLiteral("keep1"), tiny), QString());
        const auto parts = QCoro::waitFor(m_client->inspect(QStringLiteral("keep1")));
        QVERIFY(std::holds_alternative<QVariantMap>(parts));
        const qint64 qemu = std::get<QVariantMap>(parts).value(QStringLiteral("pid")).toLongLong();
        QVERIFY(qemu > 0);
        QSignalSpy samples(m_client.get(), &HelperClient::samples);
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->subscribe(500))));
        QTRY_VERIFY_WITH_TIMEOUT(hasSampleOf(samples, QStringLiteral("keep1")), 10000);

        m_system.systemLibvirt()->killDaemon(SIGTERM);
        QElapsedTimer timer;
        timer.start();
        const auto list = QCoro::waitFor(m_client->listInstances());
        QVERIFY2(timer.elapsed() < 5000, "ListInstances hung while libvirtd was down");
        QVERIFY(std::holds_alternative<InstanceSummaryList>(list));
        QCOMPARE(std::get<InstanceSummaryList>(list).size(), 1);
        timer.restart();
        const auto meanwhile = QCoro::waitFor(m_client->inspect(QStringLiteral("keep1")));
        QVERIFY2(timer.elapsed() < 5000, "Inspect hung while libvirtd was down");
        if (const auto *error = std::get_if<ClientError>(&meanwhile))
            QVERIFY2(error->name.startsWith(QStringLiteral("dev.hamlet.Error.")), qPrintable(error->name));
        qInfo("while libvirtd was down: ListInstances listed the VM, Inspect answered %s in %lld ms",
              std::holds_alternative<ClientError>(meanwhile) ? qPrintable(std::get<ClientError>(meanwhile).name)
                                                             : "with the VM",
              static_cast<long long>(timer.elapsed()));
        QVERIFY(::kill(static_cast<pid_t>(qemu), 0) == 0); // QEMU does not depend on libvirtd

        QVERIFY2(m_system.systemLibvirt()->startDaemon(), qPrintable(m_system.systemLibvirt()->error()));
        samples.clear();
        timer.restart();
        QTRY_VERIFY_WITH_TIMEOUT(hasSampleOf(samples, QStringLiteral("keep1")), 5000);
        qInfo("samples resumed %lld ms after libvirtd was back", static_cast<long long>(timer.elapsed()));
        QCOMPARE(instanceState(*m_client, QStringLiteral("keep1")), QStringLiteral("running"));
        const auto after = QCoro::waitFor(m_client->inspect(QStringLiteral("keep1")));
        QVERIFY(std::holds_alternative<QVariantMap>(after));
        QCOMPARE(std::get<QVariantMap>(after).value(QStringLiteral("pid")).toLongLong(), qemu);
        QCoro::waitFor(m_client->unsubscribe());
        QVERIFY(std::holds_alternative<bool>(
            QCoro::waitFor(m_client->instanceCall(QStringLiteral("keep1"), QStringLiteral("Delete")))));
    }
};

QTEST_GUILESS_MAIN(TestLibvirtdRestart)
#include "tst_libvirtdrestart.moc"
