// The pure parts of the network code: choosing a subnet, parsing published ports.
#include "ipv4net.h"
#include "portmapping.h"

#include <QTcpServer>
#include <QTest>

using namespace Hamlet::Network;

namespace {
QVariantMap port(QVariant host, QVariant guest, QString protocol = QStringLiteral("tcp"))
{
    return {{QStringLiteral("hostPort"), host},
            {QStringLiteral("guestPort"), guest},
            {QStringLiteral("protocol"), protocol}};
}
} // namespace

class TestNetworkUnits : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void firstFreeSubnet_skipsEveryRouteAndAddressOfTheHost()
    {
        const Ipv4Net pool = *Ipv4Net::parse(QStringLiteral("10.90.0.0/16"));
        QCOMPARE(firstFreeSubnet(pool, {})->toString(), QStringLiteral("10.90.0.0/24"));
        const QList<Ipv4Net> taken {*Ipv4Net::parse(QStringLiteral("10.90.0.0/24")),
                                    *Ipv4Net::parse(QStringLiteral("10.90.1.7/32")),
                                    *Ipv4Net::parse(QStringLiteral("192.0.2.0/24"))};
        QCOMPARE(firstFreeSubnet(pool, taken)->toString(), QStringLiteral("10.90.2.0/24"));
        // A wider route covers the whole pool: nothing left.
        QVERIFY(!firstFreeSubnet(pool, {*Ipv4Net::parse(QStringLiteral("10.0.0.0/8"))}));
    }

    void routesFromIpJson_leavesOutTheDefaultRoute()
    {
        const QByteArray json = R"([{"dst":"default","gateway":"192.0.2.1","dev":"eth0"},
                                    {"dst":"192.0.2.0/24","dev":"eth0"},{"dst":"10.1.2.3","dev":"x"}])";
        const QList<Ipv4Net> routes = routesFromIpJson(json);
        QCOMPARE(routes.size(), 2);
        QCOMPARE(routes.at(0).toString(), QStringLiteral("192.0.2.0/24"));
        QCOMPARE(routes.at(1).prefix, 32);
    }

    void ipv4net_hostsAndParsing()
    {
        const Ipv4Net net = *Ipv4Net::parse(QStringLiteral("10.90.3.0/24"));
        QCOMPARE(net.host(1), QStringLiteral("10.90.3.1"));
        QCOMPARE(Ipv4Net::addressToString(net.broadcast()), QStringLiteral("10.90.3.255"));
        QVERIFY(!Ipv4Net::parse(QStringLiteral("10.90.3.0/33")));
        QVERIFY(!Ipv4Net::parse(QStringLiteral("fe80::1/64")));
    }

    void parsePorts_acceptsAndDefaults()
    {
        const auto ports
            = parsePorts(QVariantList {port(8080u, 80u), QVariantMap {{QStringLiteral("hostPort"), 5353}}});
        QVERIFY2(ports.ok(), ports.ok() ? "" : qPrintable(ports.error().message));
        QCOMPARE(ports->size(), 2);
        QCOMPARE(ports->at(0).guestPort, 80);
        QCOMPARE(ports->at(1).guestPort, 5353); // guestPort defaults to hostPort
        QCOMPARE(ports->at(1).protocol, QStringLiteral("tcp"));
        QCOMPARE(privilegedPorts(*ports), QStringList());
        QCOMPARE(privilegedPorts(*parsePorts(QVariantList {port(80u, 80u, QStringLiteral("udp"))})),
                 QStringList {QStringLiteral("80/udp")});
    }

    void parsePorts_refuses_data()
    {
        QTest::addColumn<QVariant>("ports");
        QTest::addColumn<QString>("message");
        QTest::newRow("zero") << QVariant(QVariantList {port(0, 80)}) << QStringLiteral("out of range");
        QTest::newRow("70000") << QVariant(QVariantList {port(70000, 80)}) << QStringLiteral("out of range");
        QTest::newRow("guest 0") << QVariant(QVariantList {port(8080, 0)}) << QStringLiteral("out of range");
        QTest::newRow("twice") << QVariant(QVariantList {port(8080, 80), port(8080, 81)})
                               << QStringLiteral("published twice");
        QTest::newRow("protocol") << QVariant(QVariantList {port(8080, 80, QStringLiteral("sctp"))})
                                  << QStringLiteral("not known");
        QTest::newRow("text port") << QVariant(QVariantList {port(QStringLiteral("80"), 80)})
                                   << QStringLiteral("must be a port number");
        QTest::newRow("unknown key") << QVariant(QVariantList {QVariantMap {{QStringLiteral("hostport"), 80}}})
                                     << QStringLiteral("unknown port option");
        QTest::newRow("not a list") << QVariant(QStringLiteral("8080:80")) << QStringLiteral("must be a list");
        QTest::newRow("foreign address") << QVariant(QVariantList {QVariantMap {
            {QStringLiteral("hostPort"), 8080}, {QStringLiteral("hostAddress"), QStringLiteral("203.0.113.9")}}})
                                         << QStringLiteral("not an address of this host");
    }
    void parsePorts_refuses()
    {
        QFETCH(QVariant, ports);
        QFETCH(QString, message);
        const auto parsed = parsePorts(ports);
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.error().name, QStringLiteral("dev.hamlet.Error.InvalidArgument"));
        QVERIFY2(parsed.error().message.contains(message), qPrintable(parsed.error().message));
    }

    void checkHostPortsFree_seesAPortInUse()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::Any, 0));
        const auto ports = parsePorts(QVariantList {port(uint(server.serverPort()), 80u)});
        QVERIFY(ports.ok());
        const auto checked = checkHostPortsFree(*ports);
        QVERIFY(!checked.ok());
        QCOMPARE(checked.error().name, QStringLiteral("dev.hamlet.Error.Busy"));
        server.close();
        QVERIFY(checkHostPortsFree(*ports).ok());
    }
};

QTEST_GUILESS_MAIN(TestNetworkUnits)
#include "tst_networkunits.moc"
