#include "instancehistory.h"

#include <QTest>

#include <limits>

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
QVariantMap withNet(QVariantMap values, qulonglong rx, qulonglong tx)
{
    values.insert(QStringLiteral("netRxBytes"), rx);
    values.insert(QStringLiteral("netTxBytes"), tx);
    return values;
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

    void networkRatesAreBytesPerSecondOfEachCounter()
    {
        InstanceHistory history;
        history.add(10 * Second, withNet(counters(0), 1000, 500));
        // 2 s later: 8000 bytes more received, 3000 more sent.
        const auto point = history.add(12 * Second, withNet(counters(Second), 9000, 3500));
        QVERIFY(point);
        QCOMPARE(point->netRxBytesPerSecond, std::optional<double>(4000.0));
        QCOMPARE(point->netTxBytesPerSecond, std::optional<double>(1500.0));
    }

    void networkRatesAreAbsentWithoutTheCounters()
    {
        // A container off the Hamlet network: its samples carry no netRxBytes/netTxBytes, so its
        // traffic is unknown, not zero.
        InstanceHistory history;
        history.add(10 * Second, counters(0));
        const auto point = history.add(11 * Second, counters(Second / 2));
        QVERIFY(point);
        QCOMPARE(point->cpuPercent, 50.0);
        QVERIFY(!point->netRxBytesPerSecond);
        QVERIFY(!point->netTxBytesPerSecond);
        // The counters appearing (the instance joined the network) need two samples for a rate.
        const auto joined = history.add(12 * Second, withNet(counters(Second), 100, 100));
        QVERIFY(joined);
        QVERIFY(!joined->netRxBytesPerSecond);
        const auto next = history.add(13 * Second, withNet(counters(Second), 300, 100));
        QCOMPARE(next->netRxBytesPerSecond, std::optional<double>(200.0));
        QCOMPARE(next->netTxBytesPerSecond, std::optional<double>(0.0));
        // And disappearing again makes them unknown at once.
        const auto left = history.add(14 * Second, counters(Second));
        QVERIFY(!left->netRxBytesPerSecond);
        QVERIFY(!left->netTxBytesPerSecond);
    }

    void networkCounterGoingBackwardsRestartsOnlyItsRate()
    {
        InstanceHistory history;
        history.add(10 * Second, withNet(counters(0), 50'000, 50'000));
        // The veth was made again (restart): rx starts from a small number. No negative spike:
        // rx is unknown for this point, tx (still growing) keeps its rate, and CPU is unaffected.
        const auto restarted = history.add(11 * Second, withNet(counters(Second / 4), 10, 60'000));
        QVERIFY(restarted);
        QVERIFY(!restarted->netRxBytesPerSecond);
        QCOMPARE(restarted->netTxBytesPerSecond, std::optional<double>(10'000.0));
        QCOMPARE(restarted->cpuPercent, 25.0);
        const auto after = history.add(12 * Second, withNet(counters(Second / 2), 1010, 60'000));
        QCOMPARE(after->netRxBytesPerSecond, std::optional<double>(1000.0));
    }

    void networkCountersRestartWithTheCpuCounter()
    {
        InstanceHistory history;
        history.add(10 * Second, withNet(counters(5 * Second), 100, 100));
        // The whole instance restarted: no point, and the next one rates from the new counters.
        QVERIFY(!history.add(11 * Second, withNet(counters(Second), 10, 10)));
        const auto point = history.add(13 * Second, withNet(counters(2 * Second), 2010, 410));
        QVERIFY(point);
        QCOMPARE(point->netRxBytesPerSecond, std::optional<double>(1000.0));
        QCOMPARE(point->netTxBytesPerSecond, std::optional<double>(200.0));
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
    // GetHistory's points go before the live ones, on the Samples clock; NaN stays unknown.
    void seed_putsTheHelpersPointsBeforeTheLiveOnes()
    {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        HistoryData data;
        data.stepNs = 1'000'000'000;
        const qint64 wallNow = 1'800'000'000'000'000'000;
        data.timesNs = {wallNow - 3'000'000'000, wallNow - 2'000'000'000, wallNow - 1'000'000'000};
        data.series = {{QStringLiteral("cpu"), {}, {nan, 0.25, 0.5}, {}},
                       {QStringLiteral("memory"), {}, {100, 200, 300}, {}},
                       {QStringLiteral("netRxBytes"), {}, {1000, 3000, 2000}, {}}};
        const std::vector<StatPoint> points = statPointsFrom(data, wallNow, 100 * Second, 0.5);
        QCOMPARE(points.size(), std::size_t(2)); // the first has no CPU rate
        QCOMPARE(points[0].seconds, 98.0);
        QCOMPARE(points[0].cpuPercent, 25.0);
        QCOMPARE(points[0].cpuPercentOfLimit, 50.0);
        QCOMPARE(points[0].memoryBytes, 200ULL);
        QCOMPARE(*points[0].netRxBytesPerSecond, 2000.0);
        QVERIFY(!points[1].netRxBytesPerSecond); // a counter that went back: unknown, not negative
        QVERIFY(!points[0].pids);

        InstanceHistory history(3);
        history.add(99'500'000'000ULL, counters(0));
        history.add(100 * Second, counters(Second / 10)); // the live point at 100 s
        history.prepend(points);
        QCOMPARE(history.size(), std::size_t(3));
        QCOMPARE(history.at(0).seconds, 98.0);
        QCOMPARE(history.at(2).seconds, 100.0);
        history.prepend(points); // again (a second fetch): nothing older than 98 s to add
        QCOMPARE(history.size(), std::size_t(3));
        InstanceHistory small(2);
        small.add(99'500'000'000ULL, counters(0));
        small.add(100 * Second, counters(Second / 10));
        small.prepend(points); // bounded: the newest two
        QCOMPARE(small.size(), std::size_t(2));
        QCOMPARE(small.at(0).seconds, 99.0);
    }
};

QTEST_GUILESS_MAIN(TestInstanceHistory)
#include "tst_instancehistory.moc"
