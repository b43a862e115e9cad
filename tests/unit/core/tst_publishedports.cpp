#include "dbustypes.h"
#include "publishedports.h"

#include <QTest>

using namespace Hamlet;

class TestPublishedPorts : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void portsAreOneTo65535()
    {
        QCOMPARE(PublishedPorts::parsePort(QStringLiteral("8080")), std::optional<uint>(8080));
        QCOMPARE(PublishedPorts::parsePort(QStringLiteral(" 65535 ")), std::optional<uint>(65535));
        QVERIFY(!PublishedPorts::parsePort(QStringLiteral("0")));
        QVERIFY(!PublishedPorts::parsePort(QStringLiteral("70000")));
        QVERIFY(!PublishedPorts::parsePort(QStringLiteral("-1")));
        QVERIFY(!PublishedPorts::parsePort(QStringLiteral("80a")));
        QVERIFY(!PublishedPorts::parsePort(QString()));
    }

    void linkOpensLoopbackOrTheBoundAddress()
    {
        QCOMPARE(PublishedPort({8080, 80, QStringLiteral("tcp"), {}}).url().toString(),
                 QStringLiteral("http://127.0.0.1:8080/"));
        QCOMPARE(PublishedPort({8080, 80, QStringLiteral("tcp"), QStringLiteral("0.0.0.0")}).url().toString(),
                 QStringLiteral("http://127.0.0.1:8080/"));
        QCOMPARE(PublishedPort({8443, 443, QStringLiteral("tcp"), QStringLiteral("10.0.0.7")}).url().toString(),
                 QStringLiteral("http://10.0.0.7:8443/"));
        // No web page behind a UDP port.
        QVERIFY(PublishedPort({5353, 53, QStringLiteral("udp"), {}}).url().isEmpty());
        QCOMPARE(PublishedPort({5353, 53, QStringLiteral("udp"), {}}).label(), QStringLiteral("5353 → 53/udp"));
    }

    void clashNeedsSamePortProtocolAndOverlappingAddress()
    {
        const PublishedPort all {8080, 80, QStringLiteral("tcp"), {}};
        QVERIFY(PublishedPorts::clash(all, {8080, 81, QStringLiteral("tcp"), QStringLiteral("127.0.0.1")}));
        QVERIFY(!PublishedPorts::clash(all, {8080, 80, QStringLiteral("udp"), {}}));
        QVERIFY(!PublishedPorts::clash(all, {8081, 80, QStringLiteral("tcp"), {}}));
        QVERIFY(!PublishedPorts::clash({8080, 80, QStringLiteral("tcp"), QStringLiteral("127.0.0.1")},
                                       {8080, 80, QStringLiteral("tcp"), QStringLiteral("127.0.0.2")}));
    }

    void specValueIsAListOfMapsAndReadsBack()
    {
        registerDBusTypes();
        const QList<PublishedPort> ports {{8080, 80, QStringLiteral("tcp"), {}},
                                          {5353, 53, QStringLiteral("udp"), QStringLiteral("127.0.0.1")}};
        QCOMPARE(PublishedPorts::fromSpec(PublishedPorts::toSpec(ports)), ports);
        // (Read back from the Spec property, nested as a QDBusArgument: tests/gui/tst_networkgui.)
        QCOMPARE(PublishedPorts::toSpec(ports).metaType(), QMetaType::fromType<VariantMapList>());
        QVERIFY(PublishedPorts::fromSpec(QVariant()).isEmpty());
        QVERIFY(PublishedPorts::fromSpec(QStringLiteral("8080:80")).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestPublishedPorts)
#include "tst_publishedports.moc"
