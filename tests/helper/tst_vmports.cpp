// Published ports of VMs and SetPorts (issue 16, acceptance 2 and 4 for VMs) through the whole
// stack: the real bus, polkitd, helper, embedded libvirt with QEMU under TCG, the test system's own
// bridge, host-local, portmap (iptables) and dnsmasq. The tiny VM serves a page with busybox httpd
// on its console; the host fetches it through the published port at 127.0.0.1 and at its own
// address. Nothing leaves the machine.
#include "clienttest.h"
#include "networkrules.h"
#include "publishedports.h"
#include "testsystem.h"
#include "vmconsole.h"

#include <QDBusArgument>
#include <QDBusMetaType>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTest>

#include <QCoro/QCoroTask>
#include <csignal>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {
constexpr qulonglong MiB = 1024 * 1024;

QVariantMap port(uint host, uint guest)
{
    return {{QStringLiteral("hostPort"), host},
            {QStringLiteral("guestPort"), guest},
            {QStringLiteral("protocol"), QStringLiteral("tcp")}};
}

QVariantMap tiny(const VariantMapList &ports, const QString &network = {})
{
    QVariantMap spec {{QStringLiteral("source"), QStringLiteral("tiny")},
                      {QStringLiteral("memory"), QVariant::fromValue(128 * MiB)},
                      {QStringLiteral("vcpus"), 1u},
                      {QStringLiteral("ports"), QVariant::fromValue(ports)}};
    if (!network.isEmpty())
        spec.insert(QStringLiteral("network"), network);
    return spec;
}

QByteArray run(const QString &program, const QStringList &arguments)
{
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForFinished(20000))
        process.kill();
    return process.readAllStandardOutput();
}

// busybox wget from the host: the address is one of this machine's.
QByteArray fetch(const QString &url)
{
    return run(QStringLiteral("timeout"),
               {QStringLiteral("5"), QStringLiteral("busybox"), QStringLiteral("wget"), QStringLiteral("-qO-"), url});
}

// The host's own address on the interface of its default route ("the host address" a person would
// use), or the test bridge's gateway on a machine without one.
QString hostAddress(const QString &fallback)
{
    const QString route = QString::fromUtf8(run(QStringLiteral("ip"),
                                                {QStringLiteral("-4"), QStringLiteral("-o"), QStringLiteral("route"),
                                                 QStringLiteral("show"), QStringLiteral("default")}));
    const QString device = route.section(QStringLiteral(" dev "), 1).section(QLatin1Char(' '), 0, 0);
    if (device.isEmpty())
        return fallback;
    const QString address = QString::fromUtf8(run(QStringLiteral("ip"),
                                                  {QStringLiteral("-4"), QStringLiteral("-o"), QStringLiteral("addr"),
                                                   QStringLiteral("show"), QStringLiteral("dev"), device}));
    const QString inet = address.section(QStringLiteral("inet "), 1).section(QLatin1Char('/'), 0, 0);
    return inet.isEmpty() ? fallback : inet;
}
} // namespace

class TestVmPorts : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;

    QString networkFile(const QString &name) { return m_system.stateDir() + QStringLiteral("/network/") + name; }

    // The ports the Spec property shows (nested in a{sv}, it arrives still marshalled).
    QList<PublishedPort> specPorts(const QString &name)
    {
        const QVariant spec = instanceProperties(*m_client, name).value(QStringLiteral("Spec"));
        const QVariantMap map = spec.userType() == qMetaTypeId<QDBusArgument>()
            ? qdbus_cast<QVariantMap>(spec.value<QDBusArgument>())
            : spec.toMap();
        return PublishedPorts::fromSpec(map.value(QStringLiteral("ports")));
    }

    QStringList rulesOf(const QString &name)
    {
        return hamletRules(m_system.cniNetworkName(), m_system.networkSubnet())
            .filter(QStringLiteral("id: \\\"%1\\\"").arg(name));
    }

    // Everything a refused create or SetPorts must leave as it was.
    QStringList footprint()
    {
        return hamletRules(m_system.cniNetworkName(), m_system.networkSubnet())
            + QStringList {
                QDir(networkFile(QStringLiteral("attachments"))).entryList(QDir::Files).join(QLatin1Char(' ')),
                QString::fromUtf8(readFile(networkFile(QStringLiteral("dhcp-hosts")))),
                QDir(QStringLiteral("/sys/class/net/%1/brif").arg(m_system.networkBridge()))
                    .entryList(QDir::Dirs | QDir::NoDotAndDotDot)
                    .join(QLatin1Char(' ')),
                instanceNames(*m_client).join(QLatin1Char(' '))};
    }

    // Boots to the shell and starts busybox httpd on guest port 8080 with a page naming the VM.
    bool serveFromConsole(const QString &name)
    {
        const auto fd = QCoro::waitFor(m_client->openFd(name, QStringLiteral("OpenConsole")));
        if (!std::holds_alternative<int>(fd))
            return false;
        const int console = std::get<int>(fd);
        bool ok = waitForShell(console, 90000);
        if (ok)
            onConsole(console,
                      QStringLiteral("mkdir -p /www && echo page-of-%1 > /www/index.html && "
                                     "httpd -p 8080 -h /www")
                          .arg(name)
                          .toUtf8());
        ::close(console);
        return ok;
    }

    // The page through a published host port; udhcpc may still be at work: a few tries.
    QByteArray fetchUntil(const QString &url, const QByteArray &expected)
    {
        QByteArray page;
        for (int i = 0; i < 40 && !page.contains(expected); ++i) {
            page = fetch(url);
            if (!page.contains(expected))
                QTest::qWait(500);
        }
        return page;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
    }

    // Acceptance 4 for VMs: refused in CreateVm's reply itself, and nothing is made.
    void refusals_changeNothing_data()
    {
        QTest::addColumn<QVariantMap>("spec");
        QTest::addColumn<QString>("error");
        QTest::newRow("host port bound by another program")
            << tiny({port(18281, 80)}) << QStringLiteral("dev.hamlet.Error.Busy");
        QTest::newRow("same host port twice")
            << tiny({port(18282, 80), port(18282, 81)}) << QStringLiteral("dev.hamlet.Error.InvalidArgument");
        QTest::newRow("port 0") << tiny({port(0, 80)}) << QStringLiteral("dev.hamlet.Error.InvalidArgument");
        QTest::newRow("port 70000") << tiny({port(70000, 80)}) << QStringLiteral("dev.hamlet.Error.InvalidArgument");
        QTest::newRow("ports without nat")
            << tiny({port(18283, 80)}, QStringLiteral("user")) << QStringLiteral("dev.hamlet.Error.InvalidArgument");
    }
    void refusals_changeNothing()
    {
        QFETCH(QVariantMap, spec);
        QFETCH(QString, error);
        QTcpServer holder; // another program's port
        QVERIFY(holder.listen(QHostAddress::Any, 18281));
        const QStringList before = footprint();
        const auto job = QCoro::waitFor(m_client->createVm(QStringLiteral("vrefused"), spec));
        QCOMPARE(errorName(job), error);
        QCOMPARE(footprint(), before);
        QVERIFY(!QFile::exists(m_system.stateDir() + QStringLiteral("/libvirt/etc/libvirt/qemu/vrefused.xml")));
    }

    void privilegedPort_needsMoreThanCreate()
    {
        const QStringList before = footprint();
        const Run refused
            = m_system.run(TestSystem::PlainUser, TestSystem::ctlProgram(),
                           {QStringLiteral("create-vm"), QStringLiteral("vlow"), QStringLiteral("ports=80:80")});
        QVERIFY2((refused.out + refused.err).contains("NotAuthorized"), refused.err.constData());
        QCOMPARE(footprint(), before);
    }

    // Acceptance 2: the host reaches the VM's server through its published port, at 127.0.0.1
    // and at the host's address; a container cannot take the same host port.
    void publishedPort_reachesTheVm()
    {
        const QString made
            = createAndWait(*m_client, QStringLiteral("vm"), QStringLiteral("vp1"), tiny({port(18280, 8080)}));
        QCOMPARE(made, QString());
        QVERIFY(!rulesOf(QStringLiteral("vp1")).isEmpty());
        QCOMPARE(specPorts(QStringLiteral("vp1")), (QList<PublishedPort> {PublishedPort {18280, 8080}}));
        QVERIFY(serveFromConsole(QStringLiteral("vp1")));
        QCOMPARE(fetchUntil(QStringLiteral("http://127.0.0.1:18280/"), "page-of-vp1"), QByteArray("page-of-vp1\n"));
        const QString address
            = hostAddress(m_system.networkSubnet().section(QLatin1Char('.'), 0, 2) + QStringLiteral(".1"));
        QCOMPARE(fetchUntil(QStringLiteral("http://%1:18280/").arg(address), "page-of-vp1"),
                 QByteArray("page-of-vp1\n"));

        const auto job = QCoro::waitFor(m_client->createContainer(
            QStringLiteral("clash"),
            {{QStringLiteral("ports"), QVariant::fromValue(VariantMapList {port(18280, 80)})}}));
        QCOMPARE(errorName(job), QStringLiteral("dev.hamlet.Error.Busy"));
        // Refused while it runs, and its rules stay as they are.
        const QStringList rules = rulesOf(QStringLiteral("vp1"));
        QCOMPARE(errorName(QCoro::waitFor(m_client->setPorts(QStringLiteral("vp1"), {port(18284, 8080)}))),
                 QStringLiteral("dev.hamlet.Error.Busy"));
        QCOMPARE(rulesOf(QStringLiteral("vp1")), rules);
    }

    // Acceptance 5: after a helper SIGKILL the running VM's rules are there once; those of a VM
    // that is gone (its record, and rules made for it by the same plugin) are removed.
    void sigkillRestart_keepsRulesOnce_andRemovesAGonesVms()
    {
        const QStringList rules = rulesOf(QStringLiteral("vp1"));
        m_system.stopHelper(SIGKILL);
        const QString ghostAddress = m_system.networkSubnet().section(QLatin1Char('.'), 0, 2) + QStringLiteral(".251");
        const QJsonObject result {
            {QStringLiteral("cniVersion"), QStringLiteral("1.0.0")},
            {QStringLiteral("ips"),
             QJsonArray {QJsonObject {{QStringLiteral("address"), ghostAddress + QStringLiteral("/24")}}}}};
        const QJsonArray ports {QJsonObject {{QStringLiteral("hostPort"), 18285},
                                             {QStringLiteral("guestPort"), 80},
                                             {QStringLiteral("protocol"), QStringLiteral("tcp")},
                                             {QStringLiteral("hostAddress"), QString()}}};
        const QJsonObject ghost {{QStringLiteral("name"), QStringLiteral("vghost")},
                                 {QStringLiteral("kind"), QStringLiteral("vm")},
                                 {QStringLiteral("mac"), QStringLiteral("52:54:00:aa:bb:cd")},
                                 {QStringLiteral("address"), ghostAddress},
                                 {QStringLiteral("ports"), ports},
                                 {QStringLiteral("result"), result}};
        QFile record(networkFile(QStringLiteral("attachments/vghost.json")));
        QVERIFY(record.open(QIODevice::WriteOnly));
        record.write(QJsonDocument(ghost).toJson());
        record.close();
        // Its rules, made by portmap itself as the helper would have (the VM was deleted while the
        // helper was away, before it could take them back).
        const QJsonObject config {
            {QStringLiteral("cniVersion"), QStringLiteral("1.0.0")},
            {QStringLiteral("name"), m_system.cniNetworkName()},
            {QStringLiteral("type"), QStringLiteral("portmap")},
            {QStringLiteral("snat"), true},
            {QStringLiteral("runtimeConfig"),
             QJsonObject {{QStringLiteral("portMappings"),
                           QJsonArray {QJsonObject {{QStringLiteral("hostPort"), 18285},
                                                    {QStringLiteral("containerPort"), 80},
                                                    {QStringLiteral("protocol"), QStringLiteral("tcp")}}}}}},
            {QStringLiteral("prevResult"), result}};
        QProcess portmap;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("CNI_COMMAND"), QStringLiteral("ADD"));
        environment.insert(QStringLiteral("CNI_CONTAINERID"), QStringLiteral("vghost"));
        environment.insert(QStringLiteral("CNI_NETNS"), QStringLiteral("/proc/self/ns/net"));
        environment.insert(QStringLiteral("CNI_IFNAME"), QStringLiteral("eth0"));
        environment.insert(QStringLiteral("CNI_PATH"), QStringLiteral("/usr/lib/cni"));
        portmap.setProcessEnvironment(environment);
        portmap.start(QStringLiteral("/usr/lib/cni/portmap"), {});
        portmap.write(QJsonDocument(config).toJson(QJsonDocument::Compact));
        portmap.closeWriteChannel();
        QVERIFY(portmap.waitForFinished(20000));
        QCOMPARE(portmap.exitCode(), 0);
        QVERIFY(!rulesOf(QStringLiteral("vghost")).isEmpty());

        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        QCOMPARE(instanceState(*m_client, QStringLiteral("vp1")), QStringLiteral("running"));
        QCOMPARE(rulesOf(QStringLiteral("vp1")), rules);
        QCOMPARE(rulesOf(QStringLiteral("vghost")), QStringList());
        QVERIFY(!QFile::exists(networkFile(QStringLiteral("attachments/vghost.json"))));
        QCOMPARE(fetchUntil(QStringLiteral("http://127.0.0.1:18280/"), "page-of-vp1"), QByteArray("page-of-vp1\n"));
    }

    // SetPorts on the stopped VM: bad ports change nothing; good ones apply and work after Start.
    void setPorts_onAStoppedVm()
    {
        QVERIFY(errorName(QCoro::waitFor(m_client->stop(QStringLiteral("vp1"), true))).isEmpty());
        QCOMPARE(instanceState(*m_client, QStringLiteral("vp1")), QStringLiteral("stopped"));
        const QStringList before = footprint();
        QTcpServer holder;
        QVERIFY(holder.listen(QHostAddress::Any, 18286));
        for (const auto &[ports, error] :
             {std::pair {VariantMapList {port(0, 8080)}, QStringLiteral("dev.hamlet.Error.InvalidArgument")},
              std::pair {VariantMapList {port(18287, 8080), port(18287, 80)},
                         QStringLiteral("dev.hamlet.Error.InvalidArgument")},
              std::pair {VariantMapList {port(18286, 8080)}, QStringLiteral("dev.hamlet.Error.Busy")}}) {
            QCOMPARE(errorName(QCoro::waitFor(m_client->setPorts(QStringLiteral("vp1"), ports))), error);
            QCOMPARE(footprint(), before);
        }
        QVERIFY(errorName(QCoro::waitFor(m_client->setPorts(QStringLiteral("vp1"), {port(18288, 8080)}))).isEmpty());
        QVERIFY(rulesOf(QStringLiteral("vp1")).join(QLatin1Char(' ')).contains(QStringLiteral("18288")));
        QVERIFY(!rulesOf(QStringLiteral("vp1")).join(QLatin1Char(' ')).contains(QStringLiteral("18280")));
        QCOMPARE(specPorts(QStringLiteral("vp1")), (QList<PublishedPort> {PublishedPort {18288, 8080}}));
        QVERIFY(errorName(QCoro::waitFor(m_client->instanceCall(QStringLiteral("vp1"), QStringLiteral("Start"))))
                    .isEmpty());
        QVERIFY(serveFromConsole(QStringLiteral("vp1")));
        QCOMPARE(fetchUntil(QStringLiteral("http://127.0.0.1:18288/"), "page-of-vp1"), QByteArray("page-of-vp1\n"));
        QCOMPARE(fetch(QStringLiteral("http://127.0.0.1:18280/")), QByteArray());
    }

    // Delete takes the VM's DNAT rules with its address.
    void delete_removesTheRules()
    {
        QVERIFY(errorName(QCoro::waitFor(m_client->instanceCall(QStringLiteral("vp1"), QStringLiteral("Delete"))))
                    .isEmpty());
        QTRY_VERIFY(!QFile::exists(networkFile(QStringLiteral("attachments/vp1.json"))));
        QCOMPARE(rulesOf(QStringLiteral("vp1")), QStringList());
        QCOMPARE(fetch(QStringLiteral("http://127.0.0.1:18288/")), QByteArray());
    }

    void cleanupTestCase() { m_client.reset(); }
};

QTEST_GUILESS_MAIN(TestVmPorts)
#include "tst_vmports.moc"
