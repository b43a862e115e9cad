#include "containerspec.h"

#include <QTest>

using namespace Hamlet::Containers;

namespace {
QVariantMap validMap()
{
    return {{QStringLiteral("image"), QStringLiteral("busybox")},
            {QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}},
            {QStringLiteral("cpus"), 0.5},
            {QStringLiteral("memory"), QVariant::fromValue<qulonglong>(64ull * 1024 * 1024)},
            {QStringLiteral("pids"), QVariant::fromValue<qulonglong>(64)}};
}
} // namespace

class TestContainerSpec : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void fromVariantMap_readsTheAcceptanceSpec()
    {
        const auto spec = ContainerSpec::fromVariantMap(QStringLiteral("web1"), validMap(), 2);
        QVERIFY2(spec.ok(), spec.ok() ? "" : qPrintable(spec.error().message));
        QCOMPARE(spec->cpus, 0.5);
        QCOMPARE(spec->memory, 67108864ull);
        QCOMPARE(spec->pids, 64ull);
        QCOMPARE(spec->effectiveHostname(), QStringLiteral("web1"));
        QCOMPARE(spec->command, (QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}));
    }

    void fromVariantMap_refusesBadInput_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QVariant>("value");
        QTest::addColumn<QString>("errorName");
        const QString invalid = Hamlet::Error::InvalidArgument;
        QTest::newRow("empty name") << QString() << QString() << QVariant() << invalid;
        QTest::newRow("dot") << QStringLiteral(".") << QString() << QVariant() << invalid;
        QTest::newRow("dotdot") << QStringLiteral("..") << QString() << QVariant() << invalid;
        QTest::newRow("slash") << QStringLiteral("a/b") << QString() << QVariant() << invalid;
        QTest::newRow("dash") << QStringLiteral("-x") << QString() << QVariant() << invalid;
        QTest::newRow("64 chars") << QString(64, QLatin1Char('a')) << QString() << QVariant() << invalid;
        QTest::newRow("control") << QStringLiteral("a\nb") << QString() << QVariant() << invalid;
        QTest::newRow("no image") << QStringLiteral("ok") << QStringLiteral("image") << QVariant(QString()) << invalid;
        QTest::newRow("memory 3 MiB") << QStringLiteral("ok") << QStringLiteral("memory")
                                      << QVariant::fromValue<qulonglong>(3 * 1024 * 1024) << invalid;
        QTest::newRow("cpus 0") << QStringLiteral("ok") << QStringLiteral("cpus") << QVariant(0.0) << invalid;
        QTest::newRow("cpus negative") << QStringLiteral("ok") << QStringLiteral("cpus") << QVariant(-1.0) << invalid;
        QTest::newRow("cpus above host") << QStringLiteral("ok") << QStringLiteral("cpus") << QVariant(2.5) << invalid;
        QTest::newRow("cpus string") << QStringLiteral("ok") << QStringLiteral("cpus") << QVariant(QStringLiteral("1"))
                                     << invalid;
        QTest::newRow("pids 0") << QStringLiteral("ok") << QStringLiteral("pids") << QVariant(0) << invalid;
        QTest::newRow("command string") << QStringLiteral("ok") << QStringLiteral("command")
                                        << QVariant(QStringLiteral("sleep 1")) << invalid;
        QTest::newRow("env without =") << QStringLiteral("ok") << QStringLiteral("env")
                                       << QVariant(QStringList {QStringLiteral("NOVALUE")}) << invalid;
        QTest::newRow("relative workdir")
            << QStringLiteral("ok") << QStringLiteral("workdir") << QVariant(QStringLiteral("tmp")) << invalid;
        QTest::newRow("typo key") << QStringLiteral("ok") << QStringLiteral("memroy") << QVariant(1) << invalid;
        QTest::newRow("unknown network mode")
            << QStringLiteral("ok") << QStringLiteral("network") << QVariant(QStringLiteral("bridge")) << invalid;
        // validMap() has no network: "none" at this layer, and ports need "nat".
        QTest::newRow("ports without nat")
            << QStringLiteral("ok") << QStringLiteral("ports")
            << QVariant(QVariantList {QVariantMap {{QStringLiteral("hostPort"), 8080}}}) << invalid;
    }

    void fromVariantMap_refusesBadInput()
    {
        QFETCH(QString, name);
        QFETCH(QString, key);
        QFETCH(QVariant, value);
        QFETCH(QString, errorName);
        QVariantMap map = validMap();
        if (!key.isEmpty())
            map.insert(key, value);
        const auto spec = ContainerSpec::fromVariantMap(name, map, 2);
        QVERIFY(!spec.ok());
        QCOMPARE(spec.error().name, errorName);
        QVERIFY(!spec.error().message.isEmpty());
    }

    void json_roundTripsEveryField()
    {
        ContainerSpec spec = *ContainerSpec::fromVariantMap(QStringLiteral("web1"), validMap(), 2);
        spec.env = {QStringLiteral("A=b")};
        spec.tty = true;
        spec.autostart = true;
        spec.workdir = QStringLiteral("/tmp");
        spec.memory = 0xffffffffffffull; // beyond what a double holds exactly is not needed, but large
        spec.network = QStringLiteral("nat");
        spec.ports = {Hamlet::Network::PortMapping {8080, 80, QStringLiteral("tcp"), {}},
                      Hamlet::Network::PortMapping {5353, 53, QStringLiteral("udp"), QStringLiteral("127.0.0.1")}};
        QCOMPARE(ContainerSpec::fromJson(spec.toJson()), spec);
    }

    void limits_areEachOptional()
    {
        const auto limits = ContainerLimits::fromVariantMap({{QStringLiteral("pids"), 10}}, 2);
        QVERIFY(limits.ok());
        QVERIFY(!limits->cpus && !limits->memory);
        QCOMPARE(*limits->pids, 10ull);
        QVERIFY(!ContainerLimits::fromVariantMap({{QStringLiteral("memory"), 1}}, 2).ok());
    }
};

QTEST_GUILESS_MAIN(TestContainerSpec)
#include "tst_containerspec.moc"
