// The Hamlet network through the whole stack: the real bus, polkitd, helper, runc, the CNI plugins
// (real bridge, veths, iptables rules) and dnsmasq. Every address is on this machine: the bridge of
// this test system, and a stand-in "upstream" in a network namespace the test makes itself.
#include "clienttest.h"
#include "fakeupstream.h"
#include "networkrules.h"
#include "testsystem.h"

#include <QDir>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

#include <QCoro/QCoroTask>
#include <csignal>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {

QVariantMap port(uint host, uint guest, const QString &protocol = QStringLiteral("tcp"))
{
    return {{QStringLiteral("hostPort"), host},
            {QStringLiteral("guestPort"), guest},
            {QStringLiteral("protocol"), protocol}};
}

QVariantMap webServer(const VariantMapList &ports = {})
{
    // A page, a 4 MiB file for the traffic counters, and busybox httpd in the foreground.
    QVariantMap spec {{QStringLiteral("command"),
                       QStringList {QStringLiteral("sh"), QStringLiteral("-c"),
                                    QStringLiteral("mkdir -p /www && echo hello-from-a > /www/index.html && "
                                                   "dd if=/dev/zero of=/www/big bs=1024 count=4096 2>/dev/null && "
                                                   "exec httpd -f -p 80 -h /www")}}};
    if (!ports.isEmpty())
        spec.insert(QStringLiteral("ports"), QVariant::fromValue(ports));
    return spec;
}

QVariantMap sleeper()
{
    return {{QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}}};
}

Run runProgram(const QString &program, const QStringList &arguments, int timeoutMs = 20000)
{
    QProcess process;
    process.start(program, arguments);
    Run run;
    run.finished = process.waitForFinished(timeoutMs);
    if (!run.finished)
        process.kill();
    run.exitCode = process.exitCode();
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// The interfaces on a bridge (the veths of its containers).
QStringList bridgePorts(const QString &bridge)
{
    return QDir(QStringLiteral("/sys/class/net/%1/brif").arg(bridge)).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
}

} // namespace

class TestNetwork : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;

    void reconnect() { m_client = std::make_unique<HelperClient>(m_system.busAddress()); }

    QVariantMap inspect(const QString &name)
    {
        const auto parts = QCoro::waitFor(m_client->inspect(name));
        const auto *values = std::get_if<QVariantMap>(&parts);
        return values ? *values : QVariantMap();
    }

    // Runs a shell command inside a running container (its namespaces and root).
    Run inContainer(const QString &name, const QString &command, int timeoutMs = 20000)
    {
        const qint64 pid = inspect(name).value(QStringLiteral("pid")).toLongLong();
        if (pid <= 0)
            return {};
        return runProgram(QStringLiteral("nsenter"),
                          {QStringLiteral("-t"), QString::number(pid), QStringLiteral("-n"), QStringLiteral("-m"),
                           QStringLiteral("-u"), QStringLiteral("-i"), QStringLiteral("-p"), QStringLiteral("-r"),
                           QStringLiteral("-w"), QStringLiteral("sh"), QStringLiteral("-c"), command},
                          timeoutMs);
    }

    // Fetches a URL from the host (busybox wget: nothing leaves the machine, the address is ours).
    QByteArray fetchFromHost(const QString &url)
    {
        // No -T: busybox 1.35's wget crashes with it; timeout(1) bounds the wait instead.
        return runProgram(QStringLiteral("timeout"),
                          {QStringLiteral("5"), QStringLiteral("busybox"), QStringLiteral("wget"),
                           QStringLiteral("-qO-"), url})
            .out;
    }

    QStringList rules() { return hamletRules(m_system.cniNetworkName(), m_system.networkSubnet()); }

    QString dnsHosts() { return QString::fromUtf8(readFile(m_system.stateDir() + QStringLiteral("/network/hosts"))); }

    // What the helper holds on the host for its network: rules, veths, namespaces, names, addresses.
    QStringList footprint()
    {
        QStringList all = rules();
        all << QStringLiteral("brif: ") + bridgePorts(m_system.networkBridge()).join(QLatin1Char(' '));
        all << QStringLiteral("netns: ")
                + QDir(m_system.runDir() + QStringLiteral("/netns")).entryList(QDir::Files).join(QLatin1Char(' '));
        all << QStringLiteral("hosts: ") + dnsHosts();
        QStringList leases = QDir(m_system.stateDir() + QStringLiteral("/network/ipam/") + m_system.cniNetworkName())
                                 .entryList(QDir::Files);
        leases.removeAll(QStringLiteral("lock"));
        leases.removeIf([](const QString &file) { return file.startsWith(QStringLiteral("last_reserved_ip")); });
        all << QStringLiteral("leases: ") + leases.join(QLatin1Char(' '));
        return all;
    }

    QString createAsUser(const QString &user, const QString &name, const QStringList &options)
    {
        const Run run
            = m_system.run(user, TestSystem::ctlProgram(),
                           QStringList {QStringLiteral("create-container"), name} + options
                               + QStringList {QStringLiteral("--"), QStringLiteral("sleep"), QStringLiteral("60")});
        return QString::fromUtf8(run.out + run.err);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        reconnect();
    }

    // Acceptance 1: b fetches a's page by the name "a"; the host at a's address and at 127.0.0.1.
    void nat_containersReachEachOtherByName_andThroughAPublishedPort()
    {
        QCOMPARE(
            createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("a"), webServer({port(18080, 80)})),
            QString());
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("b"), sleeper()), QString());
        const QVariantMap a = inspect(QStringLiteral("a"));
        const QString address = a.value(QStringLiteral("address")).toString();
        QVERIFY2(address.startsWith(m_system.networkSubnet().section(QLatin1Char('.'), 0, 2)), qPrintable(address));
        QCOMPARE(a.value(QStringLiteral("bridge")).toString(), m_system.networkBridge());
        QVERIFY(bridgePorts(m_system.networkBridge()).contains(a.value(QStringLiteral("veth")).toString()));
        QVERIFY(!a.value(QStringLiteral("mac")).toString().isEmpty());
        QVERIFY(QFile::exists(a.value(QStringLiteral("netns")).toString()));
        QCOMPARE(instanceProperties(*m_client, QStringLiteral("a")).value(QStringLiteral("Addresses")).toStringList(),
                 QStringList {address});

        // httpd writes its page first: wait for it to listen.
        QByteArray page;
        for (int i = 0; i < 100 && page != "hello-from-a\n"; ++i) {
            page = fetchFromHost(QStringLiteral("http://%1/").arg(address));
            if (page != "hello-from-a\n")
                QTest::qWait(100);
        }
        QVERIFY2(
            page == "hello-from-a\n",
            qPrintable(
                instanceState(*m_client, QStringLiteral("a")) + QLatin1Char('\n')
                + QString::fromUtf8(
                    inContainer(QStringLiteral("a"), QStringLiteral("ps; ls -l /www; netstat -ltn; ip addr")).out)));
        const Run byName = inContainer(QStringLiteral("b"), QStringLiteral("timeout 5 wget -qO- http://a/"));
        QCOMPARE(byName.out, QByteArray("hello-from-a\n"));
        QCOMPARE(inContainer(QStringLiteral("b"), QStringLiteral("cat /etc/hosts; cat /etc/resolv.conf")).exitCode, 0);
        QCOMPARE(fetchFromHost(QStringLiteral("http://127.0.0.1:18080/")), QByteArray("hello-from-a\n"));
        // Its own name and the default route through the bridge.
        QVERIFY(
            inContainer(QStringLiteral("a"), QStringLiteral("cat /etc/hosts")).out.contains(address.toUtf8() + "\ta"));
        QVERIFY(inContainer(QStringLiteral("b"), QStringLiteral("ip route")).out.contains("default via"));
    }

    // Acceptance 3: a NAT container reaches a stand-in upstream, which sees the host's address.
    void nat_egressIsMasqueradedBehindTheHost()
    {
        FakeUpstream upstream;
        QString error;
        QVERIFY2(upstream.start(&error), qPrintable(error));
        QByteArray answer;
        for (int i = 0; i < 50 && !answer.startsWith("from"); ++i) {
            answer = inContainer(QStringLiteral("b"),
                                 QStringLiteral("nc -w 3 %1 %2 </dev/null").arg(upstream.address()).arg(upstream.port))
                         .out;
            if (!answer.startsWith("from"))
                QTest::qWait(100);
        }
        QCOMPARE(answer, QStringLiteral("from %1\n").arg(upstream.hostAddress()).toUtf8());
    }

    // Acceptance 4: refusals in the create reply itself, and nothing made.
    void refusals_changeNothing_data()
    {
        QTest::addColumn<QVariantMap>("spec");
        QTest::addColumn<QString>("error");
        QTest::newRow("host port bound by another program")
            << QVariantMap {{QStringLiteral("ports"), QVariant::fromValue(VariantMapList {port(18181, 80)})}}
            << QStringLiteral("dev.hamlet.Error.Busy");
        QTest::newRow("host port published by another container")
            << QVariantMap {{QStringLiteral("ports"), QVariant::fromValue(VariantMapList {port(18080, 80)})}}
            << QStringLiteral("dev.hamlet.Error.Busy");
        QTest::newRow("same host port twice")
            << QVariantMap {{QStringLiteral("ports"),
                             QVariant::fromValue(VariantMapList {port(18090, 80), port(18090, 81)})}}
            << QStringLiteral("dev.hamlet.Error.InvalidArgument");
        QTest::newRow("port 0") << QVariantMap {{QStringLiteral("ports"),
                                                 QVariant::fromValue(VariantMapList {port(0, 80)})}}
                                << QStringLiteral("dev.hamlet.Error.InvalidArgument");
        QTest::newRow("port 70000") << QVariantMap {{QStringLiteral("ports"),
                                                     QVariant::fromValue(VariantMapList {port(70000, 80)})}}
                                    << QStringLiteral("dev.hamlet.Error.InvalidArgument");
        QTest::newRow("unknown protocol")
            << QVariantMap {{QStringLiteral("ports"), QVariant::fromValue(VariantMapList {port(18091, 80, "sctp")})}}
            << QStringLiteral("dev.hamlet.Error.InvalidArgument");
        QTest::newRow("unknown network mode") << QVariantMap {{QStringLiteral("network"), QStringLiteral("bridge")}}
                                              << QStringLiteral("dev.hamlet.Error.InvalidArgument");
        QTest::newRow("ports without nat")
            << QVariantMap {{QStringLiteral("network"), QStringLiteral("none")},
                            {QStringLiteral("ports"), QVariant::fromValue(VariantMapList {port(18092, 80)})}}
            << QStringLiteral("dev.hamlet.Error.InvalidArgument");
    }
    void refusals_changeNothing()
    {
        QFETCH(QVariantMap, spec);
        QFETCH(QString, error);
        QTcpServer holder; // another program's port
        QVERIFY(holder.listen(QHostAddress::Any, 18181));
        const QStringList before = footprint();
        QString failure;
        const InstanceSummaryList instancesBefore = valueOr(QCoro::waitFor(m_client->listInstances()), &failure);
        spec.insert(QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("60")});
        const auto job = QCoro::waitFor(m_client->createContainer(QStringLiteral("refused"), spec));
        QCOMPARE(errorName(job), error);
        QCOMPARE(footprint(), before);
        QVERIFY(instanceProperties(*m_client, QStringLiteral("refused")).isEmpty());
        QCOMPARE(valueOr(QCoro::waitFor(m_client->listInstances()), &failure), instancesBefore);
        QCOMPARE(failure, QString());
    }

    void refusals_hostNetworkAndLowPortsNeedMoreThanCreate()
    {
        const QStringList before = footprint();
        QVERIFY2(createAsUser(TestSystem::PlainUser, QStringLiteral("hostnet"), {QStringLiteral("network=host")})
                     .contains(QStringLiteral("NotAuthorized")),
                 "network=host by a caller polkit says no to");
        QVERIFY(createAsUser(TestSystem::PlainUser, QStringLiteral("lowport"), {QStringLiteral("ports=80:80")})
                    .contains(QStringLiteral("NotAuthorized")));
        QCOMPARE(footprint(), before);
        QVERIFY(instanceProperties(*m_client, QStringLiteral("hostnet")).isEmpty());
        // The same caller may make a plain NAT container with a high port.
        const QString made
            = createAsUser(TestSystem::PlainUser, QStringLiteral("plain1"), {QStringLiteral("ports=18093:80")});
        QVERIFY2(!made.contains(QStringLiteral("Error")), qPrintable(made));
        QCOMPARE(instanceState(*m_client, QStringLiteral("plain1")), QStringLiteral("running"));
        QVERIFY(errorName(QCoro::waitFor(m_client->instanceCall(QStringLiteral("plain1"), QStringLiteral("Delete"))))
                    .isEmpty());
        QCOMPARE(footprint(), before);
    }

    // Acceptance 6: the counters of b grow while it downloads from a.
    void samples_carryGrowingNetworkBytes()
    {
        QSignalSpy samples(m_client.get(), &HelperClient::samples);
        QVERIFY(errorName(QCoro::waitFor(m_client->subscribe(200))).isEmpty());
        auto rxOf = [&samples](const QString &name) -> qulonglong {
            for (qsizetype i = samples.size() - 1; i >= 0; --i) {
                for (const SampleEntry &entry : samples.at(i).at(1).value<SampleBatch>()) {
                    if (entry.name == name && entry.values.contains(QStringLiteral("netRxBytes")))
                        return entry.values.value(QStringLiteral("netRxBytes")).toULongLong();
                }
            }
            return 0;
        };
        QTRY_VERIFY(rxOf(QStringLiteral("b")) > 0);
        const qulonglong before = rxOf(QStringLiteral("b"));
        QCOMPARE(
            inContainer(QStringLiteral("b"), QStringLiteral("timeout 10 wget -qO /dev/null http://a/big")).exitCode, 0);
        QTRY_VERIFY_WITH_TIMEOUT(rxOf(QStringLiteral("b")) >= before + 4 * 1024 * 1024, 5000);
        QCoro::waitFor(m_client->unsubscribe());
    }

    // Acceptance 5: a container that ended while the helper was dead leaves nothing after the
    // restart; the running ones keep their network and nothing is doubled.
    void sigkillRestart_reconcilesTheNetwork()
    {
        QCOMPARE(
            createAndWait(
                *m_client, QStringLiteral("container"), QStringLiteral("c"),
                QVariantMap {{QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}},
                             {QStringLiteral("ports"), QVariant::fromValue(VariantMapList {port(18082, 80)})}}),
            QString());
        const QStringList withC = rules();
        QVERIFY(!withC.filter(QStringLiteral("id: \\\"c\\\"")).isEmpty());
        const QString veth = inspect(QStringLiteral("c")).value(QStringLiteral("veth")).toString();
        QVERIFY(!veth.isEmpty());
        m_system.stopHelper(SIGKILL);
        // c dies while no helper watches.
        QCOMPARE(runProgram(QStringLiteral("runc"),
                            {QStringLiteral("--root"), m_system.runDir() + QStringLiteral("/runc"),
                             QStringLiteral("kill"), QStringLiteral("c"), QStringLiteral("KILL")})
                     .exitCode,
                 0);
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        reconnect();
        QTRY_COMPARE(instanceState(*m_client, QStringLiteral("c")), QStringLiteral("stopped"));
        QVERIFY(rules().filter(QStringLiteral("id: \\\"c\\\"")).isEmpty());
        QVERIFY(!bridgePorts(m_system.networkBridge()).contains(veth));
        QVERIFY(!dnsHosts().contains(QStringLiteral(" c ")));
        // a and b: the same rules as before, once each, and they still talk.
        QStringList expected = withC;
        expected.removeIf([](const QString &rule) { return rule.contains(QStringLiteral("id: \\\"c\\\"")); });
        const QStringList now = rules();
        QCOMPARE(now.filter(QStringLiteral("id: \\\"a\\\"")), expected.filter(QStringLiteral("id: \\\"a\\\"")));
        QCOMPARE(now.filter(QStringLiteral("id: \\\"b\\\"")), expected.filter(QStringLiteral("id: \\\"b\\\"")));
        QCOMPARE(inContainer(QStringLiteral("b"), QStringLiteral("timeout 5 wget -qO- http://a/")).out,
                 QByteArray("hello-from-a\n"));
        QCOMPARE(fetchFromHost(QStringLiteral("http://127.0.0.1:18080/")), QByteArray("hello-from-a\n"));
        // Started again, c gets its network back; stopped, it gives it back.
        QVERIFY(
            errorName(QCoro::waitFor(m_client->instanceCall(QStringLiteral("c"), QStringLiteral("Start")))).isEmpty());
        QVERIFY(!rules().filter(QStringLiteral("id: \\\"c\\\"")).isEmpty());
        QVERIFY(errorName(QCoro::waitFor(m_client->stop(QStringLiteral("c"), true))).isEmpty());
        QVERIFY(rules().filter(QStringLiteral("id: \\\"c\\\"")).isEmpty());
    }

    // SetPorts on a container: refused while it runs and with bad ports (nothing changes), applied
    // when it is stopped (here through hamletctl set-ports) and used from its next start.
    void setPorts_onAStoppedContainer()
    {
        QCOMPARE(
            createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("sp"), webServer({port(18094, 80)})),
            QString());
        const auto setPorts = [this](const VariantMapList &ports) {
            return errorName(QCoro::waitFor(m_client->setPorts(QStringLiteral("sp"), ports)));
        };
        QCOMPARE(setPorts({port(18095, 80)}), QStringLiteral("dev.hamlet.Error.Busy"));
        QVERIFY(errorName(QCoro::waitFor(m_client->stop(QStringLiteral("sp"), true))).isEmpty());
        const QStringList before = footprint();
        QCOMPARE(setPorts({port(0, 80)}), QStringLiteral("dev.hamlet.Error.InvalidArgument"));
        QCOMPARE(setPorts({port(18080, 80)}), QStringLiteral("dev.hamlet.Error.Busy")); // a's
        // A port below 1024 by a caller whose polkit answer for privilegedPorts is no.
        const Run low = m_system.run(TestSystem::PlainUser, TestSystem::ctlProgram(),
                                     {QStringLiteral("set-ports"), QStringLiteral("sp"), QStringLiteral("80:80")});
        QVERIFY2((low.out + low.err).contains("NotAuthorized"), low.err.constData());
        QCOMPARE(footprint(), before);
        const Run set = m_system.run({}, TestSystem::ctlProgram(),
                                     {QStringLiteral("set-ports"), QStringLiteral("sp"), QStringLiteral("18095:80")});
        QVERIFY2(set.exitCode == 0, set.err.constData());
        QVERIFY(
            errorName(QCoro::waitFor(m_client->instanceCall(QStringLiteral("sp"), QStringLiteral("Start")))).isEmpty());
        QByteArray page;
        for (int i = 0; i < 50 && page.isEmpty(); ++i) {
            page = fetchFromHost(QStringLiteral("http://127.0.0.1:18095/"));
            if (page.isEmpty())
                QTest::qWait(100);
        }
        QCOMPARE(page, QByteArray("hello-from-a\n"));
        QCOMPARE(fetchFromHost(QStringLiteral("http://127.0.0.1:18094/")), QByteArray());
        QVERIFY(errorName(QCoro::waitFor(m_client->instanceCall(QStringLiteral("sp"), QStringLiteral("Delete"))))
                    .isEmpty());
    }

    // Acceptance 5: delete takes back everything; the last one leaves no rule, veth or lease.
    void delete_leavesNothingOfTheNetwork()
    {
        for (const QString &name : {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")})
            QVERIFY2(errorName(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete")))).isEmpty(),
                     qPrintable(name));
        QVERIFY2(rules().isEmpty(), qPrintable(rules().join(QLatin1Char('\n'))));
        QCOMPARE(bridgePorts(m_system.networkBridge()), QStringList());
        const QStringList left = footprint();
        QCOMPARE(left,
                 (QStringList {QStringLiteral("brif: "), QStringLiteral("netns: "), QStringLiteral("hosts: "),
                               QStringLiteral("leases: ")}));
        QCOMPARE(fetchFromHost(QStringLiteral("http://127.0.0.1:18080/")), QByteArray());
    }

    void none_hasOnlyLoopback_andHostSharesTheHostsNetwork()
    {
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("lonely"),
                               QVariantMap {{QStringLiteral("network"), QStringLiteral("none")},
                                            {QStringLiteral("command"),
                                             QStringList {QStringLiteral("sleep"), QStringLiteral("60")}}}),
                 QString());
        const QByteArray links = inContainer(QStringLiteral("lonely"), QStringLiteral("ip -o link")).out;
        QCOMPARE(links.count('\n'), 1);
        QVERIFY(links.contains(": lo:"));
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("hosty"),
                               QVariantMap {{QStringLiteral("network"), QStringLiteral("host")},
                                            {QStringLiteral("command"),
                                             QStringList {QStringLiteral("sleep"), QStringLiteral("60")}}}),
                 QString());
        QVERIFY(inContainer(QStringLiteral("hosty"), QStringLiteral("ip -o link"))
                    .out.contains(m_system.networkBridge().toUtf8()));
        QVERIFY(inContainer(QStringLiteral("hosty"), QStringLiteral("cat /etc/hosts")).out.contains("hosty"));
        for (const QString &name : {QStringLiteral("lonely"), QStringLiteral("hosty")})
            QVERIFY(errorName(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete")))).isEmpty());
    }

    void cleanupTestCase() { m_client.reset(); }
};

QTEST_GUILESS_MAIN(TestNetwork)
#include "tst_network.moc"
