#include "instancehistory.h"

#include <QTest>

using namespace Hamlet;

namespace {
constexpr qulonglong Second = 1'000'000'000ULL;

QVariantMap counters(qulonglong cpuNs, qulonglong memory = 0, double limitCores = 0, qulonglong memoryLimit = 0)
{
    return {{QStringLiteral("cpuNs"), cpuNs},
            {QStringLiteral("memoryBytes"), memory},
            {QStringLiteral("cpuLimitCores"), limitCores},
            {QStringLiteral("memoryLimitBytes"), memoryLimit}};
}
} // namespace

class TestInstanceHistory : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void firstSampleGivesNoRate()
    {
        InstanceHistory history;
        QVERIFY(!history.add(10 * Second, counters(5 * Second)));
        QCOMPARE(history.size(), std::size_t(0));
    }

    void cpuRateIsPercentOfOneCoreAndOfTheLimit()
    {
        InstanceHistory history;
        history.add(10 * Second, counters(0));
        // Half a core busy for 2 s, under a 0.5-core quota: 50 % of a core, 100 % of the limit.
        const auto point = history.add(12 * Second, counters(Second, 64 << 20, 0.5, 128 << 20));
        QVERIFY(point);
        QCOMPARE(point->cpuPercent, 50.0);
        QCOMPARE(point->cpuPercentOfLimit, 100.0);
        QCOMPARE(point->memoryBytes, qulonglong(64 << 20));
        QCOMPARE(point->memoryLimitBytes, qulonglong(128 << 20));
        QCOMPARE(point->seconds, 12.0);
    }

    void counterGoingBackwardsRestartsTheRate()
    {
        InstanceHistory history;
        history.add(1 * Second, counters(9 * Second));
        QVERIFY(!history.add(2 * Second, counters(1 * Second))); // restarted: no negative spike
        const auto point = history.add(3 * Second, counters(2 * Second));
        QVERIFY(point);
        QCOMPARE(point->cpuPercent, 100.0);
    }

    void historyIsBoundedAndKeepsTheNewest()
    {
        InstanceHistory history(3);
        for (qulonglong t = 0; t <= 5; ++t)
            history.add(t * Second, counters(t * Second / 4));
        QCOMPARE(history.size(), std::size_t(3));
        QCOMPARE(history.at(0).seconds, 3.0);
        QCOMPARE(history.latest()->seconds, 5.0);
        QCOMPARE(history.window(1.0).size(), std::size_t(2));
        QCOMPARE(history.window(100.0).size(), std::size_t(3));
    }

    void storeFeedsEachInstance()
    {
        StatsStore store;
        QVERIFY(
            store.addBatch(Second, {{QStringLiteral("a"), counters(0)}, {QStringLiteral("b"), counters(0)}}).isEmpty());
        const QStringList updated = store.addBatch(2 * Second, {{QStringLiteral("a"), counters(Second)}});
        QCOMPARE(updated, QStringList {QStringLiteral("a")});
        QCOMPARE(store.history(QStringLiteral("a"))->latest()->cpuPercent, 100.0);
        QCOMPARE(store.history(QStringLiteral("b"))->size(), std::size_t(0));
        QCOMPARE(store.history(QStringLiteral("c")), nullptr);
    }
};

QTEST_GUILESS_MAIN(TestInstanceHistory)
#include "tst_instancehistory.moc"
