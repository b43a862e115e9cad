// Containers through the whole stack: the real bus, real polkitd, the real helper and runc.
// What a client of dev.hamlet.Helper1 sees (the backend's own tests cover the parts in depth).
#include "clienttest.h"
#include "testsystem.h"

#include <QDBusMessage>
#include <QDir>
#include <QSignalSpy>
#include <QTest>

#include <QCoro/QCoroTask>
#include <csignal>
#include <poll.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {
constexpr qulonglong MiB = 1024 * 1024;

QVariantMap sleeper(const QStringList &command = {QStringLiteral("sleep"), QStringLiteral("3600")})
{
    return {{QStringLiteral("command"), command},
            {QStringLiteral("cpus"), 0.5},
            {QStringLiteral("memory"), QVariant::fromValue(64 * MiB)},
            {QStringLiteral("pids"), QVariant::fromValue<qulonglong>(64)}};
}

// The cgroup directory of a process for one v1 controller, or its v2 directory.
QString cgroupDirectory(qint64 pid, const QString &controller)
{
    const QList<QByteArray> lines = readFile(QStringLiteral("/proc/%1/cgroup").arg(pid)).split('\n');
    for (const QByteArray &line : lines) {
        const QList<QByteArray> fields = line.split(':');
        if (fields.size() == 3 && fields[1].split(',').contains(controller.toUtf8()))
            return QStringLiteral("/sys/fs/cgroup/%1%2").arg(controller, QString::fromUtf8(fields[2]));
        if (fields.size() == 3 && fields[0] == "0" && fields[1].isEmpty()
            && !QFile::exists(QStringLiteral("/sys/fs/cgroup/memory")))
            return QStringLiteral("/sys/fs/cgroup%1").arg(QString::fromUtf8(fields[2]));
    }
    return {};
}

} // namespace

class TestContainers : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;

    qint64 pidOf(const QString &name)
    {
        const auto parts = QCoro::waitFor(m_client->inspect(name));
        const auto *values = std::get_if<QVariantMap>(&parts);
        return values ? values->value(QStringLiteral("pid")).toLongLong() : 0;
    }

    // Subscribed (without samples): the helper sends instance signals to subscribers only.
    void reconnect()
    {
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->subscribe(0))));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        reconnect();
    }

    void create_web1RunsWithItsLimitsAndName()
    {
        QSignalSpy added(m_client.get(), &HelperClient::instanceAdded);
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("web1"), sleeper()), QString());
        QCOMPARE(instanceState(*m_client, QStringLiteral("web1")), QStringLiteral("running"));
        QTRY_COMPARE(added.size(), 1);
        QCOMPARE(added.first().first().toString(), QStringLiteral("web1"));

        const qint64 pid = pidOf(QStringLiteral("web1"));
        QVERIFY(pid > 0);
        // "running" comes when runc start returns; the init may still be runc's for a moment
        // before it execs the command ("runc:[2:INIT]" seen on a loaded machine).
        const auto insideView = [pid] {
            QProcess nsenter;
            nsenter.start(QStringLiteral("nsenter"),
                          {QStringLiteral("-t"), QString::number(pid), QStringLiteral("-u"), QStringLiteral("-m"),
                           QStringLiteral("-p"), QStringLiteral("sh"), QStringLiteral("-c"),
                           QStringLiteral("hostname; cat /proc/1/comm")});
            nsenter.waitForFinished(10000);
            return nsenter.readAllStandardOutput();
        };
        QTRY_COMPARE_WITH_TIMEOUT(insideView(), QByteArray("web1\nsleep\n"), 5000);

        if (QFile::exists(QStringLiteral("/sys/fs/cgroup/memory"))) { // v1 or hybrid
            QCOMPARE(readFile(cgroupDirectory(pid, QStringLiteral("memory")) + QStringLiteral("/memory.limit_in_bytes"))
                         .trimmed(),
                     QByteArray("67108864"));
            QCOMPARE(
                readFile(cgroupDirectory(pid, QStringLiteral("cpu")) + QStringLiteral("/cpu.cfs_quota_us")).trimmed(),
                QByteArray("50000"));
            QCOMPARE(
                readFile(cgroupDirectory(pid, QStringLiteral("cpu")) + QStringLiteral("/cpu.cfs_period_us")).trimmed(),
                QByteArray("100000"));
            QCOMPARE(readFile(cgroupDirectory(pid, QStringLiteral("pids")) + QStringLiteral("/pids.max")).trimmed(),
                     QByteArray("64"));
        } else {
            const QString dir = cgroupDirectory(pid, {});
            QCOMPARE(readFile(dir + QStringLiteral("/memory.max")).trimmed(), QByteArray("67108864"));
            QCOMPARE(readFile(dir + QStringLiteral("/cpu.max")).trimmed(), QByteArray("50000 100000"));
            QCOMPARE(readFile(dir + QStringLiteral("/pids.max")).trimmed(), QByteArray("64"));
        }
    }

    void inspect_showsOwnNamespaces()
    {
        const auto parts = QCoro::waitFor(m_client->inspect(QStringLiteral("web1")));
        QVERIFY(std::holds_alternative<QVariantMap>(parts));
        const qint64 pid = std::get<QVariantMap>(parts).value(QStringLiteral("pid")).toLongLong();
        for (const char *ns : {"pid", "mnt", "uts", "ipc", "net"}) {
            const QString mine = QFile::symLinkTarget(QStringLiteral("/proc/%1/ns/%2").arg(pid).arg(QLatin1String(ns)));
            const QString host = QFile::symLinkTarget(QStringLiteral("/proc/1/ns/%1").arg(QLatin1String(ns)));
            QVERIFY2(!mine.isEmpty() && mine != host, ns);
        }
        // Each verdict as the helper gives it: five of its own, and the user namespace too (the
        // default, userns auto: tst_userns has the host's, userns=host, which Inspect calls shared).
        const QVariantMap namespaces = std::get<QVariantMap>(parts).value(QStringLiteral("namespaces")).toMap();
        for (const char *ns : {"pid", "mnt", "uts", "ipc", "net"})
            QCOMPARE(namespaces.value(QLatin1String(ns)).toMap().value(QStringLiteral("state")).toString(),
                     QStringLiteral("isolated"));
        const QVariantMap user = namespaces.value(QStringLiteral("user")).toMap();
        QCOMPARE(user.value(QStringLiteral("state")).toString(), QStringLiteral("isolated"));
        const auto userNamespace = [](const QString &process) {
            return QFile::symLinkTarget(QStringLiteral("/proc/%1/ns/user").arg(process)).section(QLatin1Char('/'), -1);
        };
        QVERIFY(userNamespace(QString::number(pid)) != userNamespace(QStringLiteral("self")));

        // hamletctl prints every nested level, the verdicts in words.
        const Run ctl = m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("inspect"), QStringLiteral("web1")});
        QCOMPARE(ctl.exitCode, 0);
        const QString printed = QString::fromUtf8(ctl.out);
        QVERIFY2(printed.contains(QStringLiteral("\n  user: isolated — root here is uid ")), qPrintable(printed));
        QVERIFY2(printed.contains(QStringLiteral("\n  pid: isolated\n")), qPrintable(printed));
        QVERIFY2(printed.contains(QStringLiteral("\n    state: shared\n")), qPrintable(printed));
        QCOMPARE(std::get<QVariantMap>(parts).value(QStringLiteral("capEff")).toString(),
                 QStringLiteral("00000000800405fb"));
    }

    void samples_reachTheSubscriberWithGrowingCpu()
    {
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("burner"),
                               sleeper({QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("yes >/dev/null")})),
                 QString());
        QSignalSpy samples(m_client.get(), &HelperClient::samples);
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->subscribe(500))));
        QTRY_VERIFY_WITH_TIMEOUT(samples.size() >= 6, 10000);
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->unsubscribe())));

        auto counters = [&samples](int i) {
            for (const SampleEntry &entry : samples.at(i).at(1).value<SampleBatch>())
                if (entry.name == QLatin1String("burner"))
                    return std::make_pair(samples.at(i).at(0).toULongLong(), entry.values);
            return std::make_pair(0ULL, QVariantMap());
        };
        const auto first = counters(1);
        const auto last = counters(static_cast<int>(samples.size()) - 1);
        const double elapsed = static_cast<double>(last.first - first.first);
        const double cores = static_cast<double>(last.second.value(QStringLiteral("cpuNs")).toULongLong()
                                                 - first.second.value(QStringLiteral("cpuNs")).toULongLong())
            / elapsed;
        QVERIFY2(cores > 0.3 && cores < 0.6, qPrintable(QString::number(cores)));
        QVERIFY(last.second.value(QStringLiteral("memoryBytes")).toULongLong() > 0);
        QCOMPARE(last.second.value(QStringLiteral("memoryLimitBytes")).toULongLong(), 64 * MiB);
        QCOMPARE(last.second.value(QStringLiteral("cpuLimitCores")).toDouble(), 0.5);

        // Nobody subscribed: no more batches.
        const qsizetype before = samples.size();
        QTest::qWait(1500);
        QCOMPARE(samples.size(), before);
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->subscribe(0)))); // signals again
        QVERIFY(std::holds_alternative<bool>(
            QCoro::waitFor(m_client->instanceCall(QStringLiteral("burner"), QStringLiteral("Delete")))));
    }

    void exit_onItsOwnIsSeenWithItsCodeWithinASecond()
    {
        QSignalSpy changed(m_client.get(), &HelperClient::instanceChanged);
        QCOMPARE(
            createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("three"),
                          sleeper({QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("sleep 0.5; exit 3")})),
            QString());
        QTRY_COMPARE_WITH_TIMEOUT(instanceState(*m_client, QStringLiteral("three")), QStringLiteral("stopped"), 2000);
        QCOMPARE(instanceProperties(*m_client, QStringLiteral("three")).value(QStringLiteral("ExitCode")).toInt(), 3);
        bool sawStopped = false;
        for (const QList<QVariant> &signal : changed)
            sawStopped |= signal.at(0).toString() == QLatin1String("three")
                && signal.at(1).toMap().value(QStringLiteral("State")).toString() == QLatin1String("stopped");
        QVERIFY2(sawStopped, "PropertiesChanged must announce the stop");
    }

    void startAgain_thenForceStop_thenDeleteLeavesNothing()
    {
        QVERIFY(std::holds_alternative<bool>(
            QCoro::waitFor(m_client->instanceCall(QStringLiteral("three"), QStringLiteral("Start")))));
        QCOMPARE(instanceState(*m_client, QStringLiteral("three")), QStringLiteral("running"));
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->stop(QStringLiteral("three"), true))));
        QCOMPARE(instanceState(*m_client, QStringLiteral("three")), QStringLiteral("stopped"));
        QSignalSpy removed(m_client.get(), &HelperClient::instanceRemoved);
        QVERIFY(std::holds_alternative<bool>(
            QCoro::waitFor(m_client->instanceCall(QStringLiteral("three"), QStringLiteral("Delete")))));
        QTRY_COMPARE(removed.size(), 1);
        QVERIFY(!QDir(m_system.stateDir() + QStringLiteral("/containers/three")).exists());
        QVERIFY(!QFile::exists(m_system.stateDir() + QStringLiteral("/instances/three.json")));
        QVERIFY(!readFile(QStringLiteral("/proc/self/mountinfo")).contains("/containers/three/"));
        const auto list = QCoro::waitFor(m_client->listInstances());
        for (const InstanceSummary &summary : std::get<InstanceSummaryList>(list))
            QVERIFY(summary.name != QLatin1String("three"));
    }

    void console_ofATtyContainerAnswers()
    {
        QVariantMap spec = sleeper({QStringLiteral("sh")});
        spec.insert(QStringLiteral("tty"), true);
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("tty1"), spec), QString());
        const auto fd = QCoro::waitFor(m_client->openFd(QStringLiteral("tty1"), QStringLiteral("OpenConsole")));
        QVERIFY(std::holds_alternative<int>(fd));
        const int console = std::get<int>(fd);
        QVERIFY(::write(console, "echo h''i\n", 10) == 10);
        const QByteArray seen = readUntil(console, "\nhi", 5000);
        ::close(console);
        QVERIFY2(seen.contains("\nhi"), seen.constData());
    }

    void badInputIsRefusedAndChangesNothing_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QVariantMap>("spec");
        QTest::addColumn<QString>("error");
        const QString invalid = QStringLiteral("dev.hamlet.Error.InvalidArgument");
        for (const QString &bad : {QString(), QStringLiteral("."), QStringLiteral(".."), QStringLiteral("a/b"),
                                   QStringLiteral("-x"), QString(64, QLatin1Char('n')), QStringLiteral("a\tb")})
            QTest::newRow(qPrintable(QStringLiteral("name '%1'").arg(bad.left(8)))) << bad << sleeper() << invalid;
        QVariantMap unknownImage = sleeper();
        unknownImage.insert(QStringLiteral("image"), QStringLiteral("nosuchimage"));
        QTest::newRow("unknown image") << QStringLiteral("x1") << unknownImage << invalid;
        QVariantMap tinyMemory = sleeper();
        tinyMemory.insert(QStringLiteral("memory"), QVariant::fromValue(3 * MiB));
        QTest::newRow("memory below 4 MiB") << QStringLiteral("x2") << tinyMemory << invalid;
        QVariantMap noCpu = sleeper();
        noCpu.insert(QStringLiteral("cpus"), 0.0);
        QTest::newRow("cpus 0") << QStringLiteral("x3") << noCpu << invalid;
        QVariantMap manyCpus = sleeper();
        manyCpus.insert(QStringLiteral("cpus"), 1000.0);
        QTest::newRow("cpus above host") << QStringLiteral("x4") << manyCpus << invalid;
        for (const QString &proc :
             {QStringLiteral("/proc/self/fd/7"), QStringLiteral("/proc"), QStringLiteral("/tmp/../proc/1/cwd")}) {
            QVariantMap inProc = sleeper(); // CVE-2024-21626: a leaked fd reached through /proc
            inProc.insert(QStringLiteral("workdir"), proc);
            QTest::newRow(qPrintable(QStringLiteral("workdir %1").arg(proc)))
                << QStringLiteral("x5") << inProc << invalid;
        }
        QTest::newRow("existing name") << QStringLiteral("web1") << sleeper()
                                       << QStringLiteral("dev.hamlet.Error.Exists");
    }
    void badInputIsRefusedAndChangesNothing()
    {
        QFETCH(QString, name);
        QFETCH(QVariantMap, spec);
        QFETCH(QString, error);
        const QStringList before = QDir(m_system.stateDir() + QStringLiteral("/containers"))
                                       .entryList(QDir::NoDotAndDotDot | QDir::AllEntries);
        const auto job = QCoro::waitFor(m_client->createContainer(name, spec));
        QCOMPARE(errorName(job), error);
        QCOMPARE(QDir(m_system.stateDir() + QStringLiteral("/containers"))
                     .entryList(QDir::NoDotAndDotDot | QDir::AllEntries),
                 before);
    }

    void missingCommandEndsFailedWithTheRuntimesMessage()
    {
        const QString outcome = createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("nocmd"),
                                              sleeper({QStringLiteral("/no/such/program")}));
        QVERIFY2(outcome.startsWith(QStringLiteral("dev.hamlet.Error.Failed")), qPrintable(outcome));
        QVERIFY2(outcome.contains(QStringLiteral("/no/such/program")), qPrintable(outcome));
        const QVariantMap properties = instanceProperties(*m_client, QStringLiteral("nocmd"));
        QCOMPARE(properties.value(QStringLiteral("State")).toString(), QStringLiteral("failed"));
        QVERIFY(!properties.value(QStringLiteral("Error")).toString().isEmpty());
        QVERIFY(std::holds_alternative<bool>(
            QCoro::waitFor(m_client->instanceCall(QStringLiteral("nocmd"), QStringLiteral("Delete")))));
    }

    void cancel_leavesNoContainerBehind()
    {
        const auto job = QCoro::waitFor(m_client->createContainer(QStringLiteral("cancelled1"), sleeper()));
        QVERIFY(std::holds_alternative<QString>(job));
        const QString path = std::get<QString>(job);
        QDBusMessage cancel = QDBusMessage::createMethodCall(
            QStringLiteral("dev.hamlet.Helper1"), path, QStringLiteral("dev.hamlet.Job1"), QStringLiteral("Cancel"));
        const QDBusMessage cancelled = m_client->bus().call(cancel);
        QCOMPARE(cancelled.type(), QDBusMessage::ReplyMessage);
        const auto done = QCoro::waitFor(m_client->waitForJob(path));
        const auto *error = std::get_if<ClientError>(&done);
        QVERIFY2(error && error->message.contains(QStringLiteral("cancelled")), "the job must end cancelled");
        const auto list = QCoro::waitFor(m_client->listInstances());
        for (const InstanceSummary &summary : std::get<InstanceSummaryList>(list))
            QVERIFY(summary.name != QLatin1String("cancelled1"));
        QVERIFY(!QDir(m_system.stateDir() + QStringLiteral("/containers/cancelled1")).exists());
    }

    void deniedUserCannotTouchAnInstance()
    {
        const Run run
            = m_system.run(TestSystem::DeniedUser, TestSystem::callerProgram(),
                           {QStringLiteral("--bus"), m_system.busAddress(), QStringLiteral("--object"),
                            QStringLiteral("/dev/hamlet/Helper1/instance/web1"), QStringLiteral("--xml"),
                            TestSystem::sourceDir() + QStringLiteral("/resources/dbus/dev.hamlet.Instance1.xml")});
        QCOMPARE(run.exitCode, 0);
        const QList<QByteArray> lines = run.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 12); // Exec (dev.hamlet.exec) and SetPorts too
        for (const QByteArray &line : lines)
            QVERIFY2(line.endsWith(" dev.hamlet.Error.NotAuthorized"), line.constData());
        QCOMPARE(instanceState(*m_client, QStringLiteral("web1")), QStringLiteral("running"));
    }

    void helperKilledAndRestarted_findsTheContainerRunning()
    {
        const qint64 pid = pidOf(QStringLiteral("web1"));
        m_system.stopHelper(SIGKILL);
        QVERIFY(::kill(static_cast<pid_t>(pid), 0) == 0); // the container outlives the helper
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        reconnect();
        QCOMPARE(instanceState(*m_client, QStringLiteral("web1")), QStringLiteral("running"));
        QCOMPARE(pidOf(QStringLiteral("web1")), pid);
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->stop(QStringLiteral("web1"), false))));
        QCOMPARE(instanceState(*m_client, QStringLiteral("web1")), QStringLiteral("stopped"));
        QVERIFY(std::holds_alternative<bool>(
            QCoro::waitFor(m_client->instanceCall(QStringLiteral("web1"), QStringLiteral("Delete")))));
    }

    void cleanupTestCase()
    {
        const auto list = QCoro::waitFor(m_client->listInstances());
        if (const auto *instances = std::get_if<InstanceSummaryList>(&list))
            for (const InstanceSummary &summary : *instances)
                QCoro::waitFor(m_client->instanceCall(summary.name, QStringLiteral("Delete")));
    }
};

QTEST_GUILESS_MAIN(TestContainers)
#include "tst_containers.moc"
