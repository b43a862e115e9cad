// The instance list, its sparklines and the Performance charts, fed with Samples batches shaped
// like the helper's (the contract's cumulative counters), drawn on a real X server.
#include "formatting.h"
#include "instancefiltermodel.h"
#include "instancelistmodel.h"
#include "instanceview.h"
#include "performancepage.h"

#include <QApplication>
#include <QDateTime>
#include <QDir>
#include <QImage>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QValueAxis>

using namespace Hamlet;

namespace {
constexpr qulonglong MiB = 1024ULL * 1024ULL;
constexpr qulonglong Second = 1000000000ULL;

SampleEntry entry(const QString &name, qulonglong cpuNs, qulonglong memory, double cpuLimit = 0.5,
                  qulonglong memoryLimit = 64 * MiB)
{
    return {name,
            {{QStringLiteral("cpuNs"), cpuNs},
             {QStringLiteral("cpuLimitCores"), cpuLimit},
             {QStringLiteral("memoryBytes"), memory},
             {QStringLiteral("memoryLimitBytes"), memoryLimit},
             {QStringLiteral("pids"), 3ULL},
             {QStringLiteral("state"), QStringLiteral("running")}}};
}

InstanceSummaryList summaries(const QStringList &containers, const QStringList &vms = {})
{
    InstanceSummaryList list;
    for (const QString &name : containers)
        list << InstanceSummary {name, QStringLiteral("container"), QStringLiteral("running"), {}};
    for (const QString &name : vms)
        list << InstanceSummary {name, QStringLiteral("vm"), QStringLiteral("running"), {}};
    return list;
}

// Feeds ticks 0..count-1: web1 uses a quarter of a core and 38 MiB growing.
void feed(InstanceListModel &model, int count, int from = 0)
{
    for (int tick = from; tick < from + count; ++tick) {
        const qulonglong t = static_cast<qulonglong>(tick);
        model.addSamples(t * Second,
                         {entry(QStringLiteral("web1"), t * Second / 4, 38 * MiB + t * 100000),
                          entry(QStringLiteral("db"), t * Second / 20 + (tick % 2) * Second / 50, 12 * MiB, 0, 0),
                          entry(QStringLiteral("tiny1"), t * Second * 7 / 10, 51 * MiB, 1.0, 128 * MiB)});
    }
}

QString outputPath(const QString &name)
{
    const QString dir = qEnvironmentVariable("HAMLET_TEST_OUTPUT", QDir::tempPath());
    QDir().mkpath(dir);
    return dir + QLatin1Char('/') + name;
}

// Pixels inside rect whose colour is close to the given one (the line, not its pale fill).
int pixelsLike(const QImage &image, const QRect &rect, const QColor &color)
{
    int count = 0;
    for (int y = rect.top(); y <= rect.bottom(); ++y)
        for (int x = rect.left(); x <= rect.right(); ++x) {
            const QColor pixel = image.pixelColor(x, y);
            const int distance = std::abs(pixel.red() - color.red()) + std::abs(pixel.green() - color.green())
                + std::abs(pixel.blue() - color.blue());
            if (distance < 120)
                ++count;
        }
    return count;
}
} // namespace

class TestInstanceList : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
    }

    void samplesTick_showsCpuAndMemoryWithLimit()
    {
        InstanceListModel model;
        model.reset(summaries({QStringLiteral("web1"), QStringLiteral("db")}, {QStringLiteral("tiny1")}));
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.count(QStringLiteral("container")), 2);
        QCOMPARE(model.count(QStringLiteral("vm")), 1);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        feed(model, 5);
        // One dataChanged per tick, whatever the number of rows.
        QCOMPARE(changed.size(), 5);
        const int row = model.rowOf(QStringLiteral("web1"));
        QCOMPARE(model.index(row, InstanceListModel::CpuColumn).data().toString(), QStringLiteral("25%"));
        QCOMPARE(model.index(row, InstanceListModel::MemoryColumn).data().toString(), QStringLiteral("38/64 MiB"));
        QCOMPARE(model.stats().history(QStringLiteral("web1"))->size(), std::size_t(4));
        QCOMPARE(model.index(model.rowOf(QStringLiteral("tiny1")), InstanceListModel::CpuColumn).data().toString(),
                 QStringLiteral("70%"));
    }

    void propertiesChanged_updatesStateAndReportsIt()
    {
        InstanceListModel model;
        model.reset(summaries({QStringLiteral("web1")}));
        QSignalSpy states(&model, &InstanceListModel::stateChanged);
        model.updateProperties(QStringLiteral("web1"),
                               {{QStringLiteral("State"), QStringLiteral("stopped")}, {QStringLiteral("ExitCode"), 0}});
        QCOMPARE(states.size(), 1);
        QCOMPARE(states.at(0).at(2).toString(), QStringLiteral("stopped"));
        QCOMPARE(model.index(0, InstanceListModel::StateColumn).data().toString(), QStringLiteral("stopped (exit 0)"));
        // A stopped instance shows no stale numbers.
        feed(model, 3);
        QCOMPARE(model.index(0, InstanceListModel::CpuColumn).data().toString(), QString());
    }

    void restartPolicy_showsInTheStateColumn()
    {
        InstanceListModel model;
        model.reset(summaries({QStringLiteral("web1")}));
        const qulonglong now = static_cast<qulonglong>(QDateTime::currentMSecsSinceEpoch());
        // Two restarts made in the last 20 s, the third one coming.
        model.updateProperties(QStringLiteral("web1"),
                               {{QStringLiteral("State"), QStringLiteral("restarting")},
                                {QStringLiteral("ExitCode"), 1},
                                {QStringLiteral("RestartCount"), 2u},
                                {QStringLiteral("FirstRestartAt"), now - 20000}});
        QCOMPARE(model.index(0, InstanceListModel::StateColumn).data().toString(),
                 QStringLiteral("restarting, 3rd time in 1 min"));
        model.updateProperties(
            QStringLiteral("web1"),
            {{QStringLiteral("State"), QStringLiteral("running")}, {QStringLiteral("RestartCount"), 3u}});
        QCOMPARE(model.index(0, InstanceListModel::StateColumn).data().toString(),
                 QStringLiteral("running, restarted 3 times"));
        // The first restart has no span yet; a person's start clears the count.
        model.updateProperties(QStringLiteral("web1"),
                               {{QStringLiteral("State"), QStringLiteral("restarting")},
                                {QStringLiteral("RestartCount"), 0u},
                                {QStringLiteral("FirstRestartAt"), 0ull}});
        QCOMPARE(model.index(0, InstanceListModel::StateColumn).data().toString(),
                 QStringLiteral("restarting, 1st time"));
        model.updateProperties(QStringLiteral("web1"), {{QStringLiteral("State"), QStringLiteral("running")}});
        QCOMPARE(model.index(0, InstanceListModel::StateColumn).data().toString(), QStringLiteral("running"));
        QCOMPARE(Format::ordinal(11), QStringLiteral("11th"));
        QCOMPARE(Format::ordinal(22), QStringLiteral("22nd"));
        QCOMPARE(Format::ordinal(101), QStringLiteral("101st"));
        QCOMPARE(Format::restarting(5, 3 * 3600 * 1000), QStringLiteral("restarting, 5th time in 3 h"));
        QCOMPARE(Format::restarting(4, 150000), QStringLiteral("restarting, 4th time in 3 min"));
    }

    void addAndRemove_keepCountsAndForgetHistory()
    {
        InstanceListModel model;
        QSignalSpy counts(&model, &InstanceListModel::countsChanged);
        model.addInstance(QStringLiteral("web1"), QStringLiteral("container"), QStringLiteral("creating"));
        model.addInstance(QStringLiteral("web1"), QStringLiteral("container"), QStringLiteral("creating"));
        QCOMPARE(model.rowCount(), 1);
        feed(model, 3);
        QVERIFY(model.stats().history(QStringLiteral("web1")));
        model.removeInstance(QStringLiteral("web1"));
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!model.stats().history(QStringLiteral("web1")));
        QCOMPARE(counts.size(), 2);
    }

    void filter_byKindAndName()
    {
        InstanceListModel model;
        model.reset(summaries({QStringLiteral("web1"), QStringLiteral("db")}, {QStringLiteral("tiny1")}));
        InstanceFilterModel filter;
        filter.setSourceModel(&model);
        filter.setKind(QStringLiteral("vm"));
        QCOMPARE(filter.rowCount(), 1);
        filter.setKind(QString());
        filter.setText(QStringLiteral("WE"));
        QCOMPARE(filter.rowCount(), 1);
        QCOMPARE(filter.index(0, 0).data(InstanceListModel::NameRole).toString(), QStringLiteral("web1"));
    }

    void sparklines_drawTheLastMinuteBesideTheValue()
    {
        InstanceListModel model;
        model.reset(summaries({QStringLiteral("web1"), QStringLiteral("db")}, {QStringLiteral("tiny1")}));
        InstanceFilterModel filter;
        InstanceView view(&model, &filter);
        view.resize(760, 200);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const int row = filter.mapFromSource(model.index(model.rowOf(QStringLiteral("web1")), 0)).row();
        const QRect cpuCell = view.visualRect(filter.index(row, InstanceListModel::CpuColumn));
        const QRect memoryCell = view.visualRect(filter.index(row, InstanceListModel::MemoryColumn));
        const QColor cpuBlue(0x2e, 0x86, 0xde);
        const QColor memoryPurple(0x8e, 0x44, 0xad);
        QImage before = view.viewport()->grab().toImage();
        QCOMPARE(pixelsLike(before, cpuCell, cpuBlue), 0);

        feed(model, 30);
        QTest::qWait(50);
        const QImage after = view.viewport()->grab().toImage();
        QVERIFY2(pixelsLike(after, cpuCell, cpuBlue) > 10, "the CPU sparkline is drawn");
        QVERIFY2(pixelsLike(after, memoryCell, memoryPurple) > 10, "the memory sparkline is drawn");
        QVERIFY(view.grab().save(outputPath(QStringLiteral("instancelist-sparklines.png"))));
    }

    void networkColumn_showsRatesUnknownWithoutCountersAndDrawsBothLines()
    {
        InstanceListModel model;
        model.reset(summaries({QStringLiteral("web1"), QStringLiteral("db")}));
        model.updateProperties(QStringLiteral("web1"),
                               {{QStringLiteral("Addresses"), QStringList {QStringLiteral("10.90.0.5")}},
                                {QStringLiteral("Spec"),
                                 QVariantMap {{QStringLiteral("network"), QStringLiteral("nat")},
                                              {QStringLiteral("ports"),
                                               PublishedPorts::toSpec({{8080, 80, QStringLiteral("tcp"), {}}})}}}});
        model.updateProperties(
            QStringLiteral("db"),
            {{QStringLiteral("Spec"), QVariantMap {{QStringLiteral("network"), QStringLiteral("none")}}}});
        InstanceFilterModel filter;
        InstanceView view(&model, &filter);
        view.resize(900, 200);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        // web1 receives 2 KiB/s and sends 1 MiB/s; db has no counters (off the network).
        for (int tick = 0; tick < 30; ++tick) {
            const qulonglong t = static_cast<qulonglong>(tick);
            SampleEntry web = entry(QStringLiteral("web1"), t * Second / 4, 38 * MiB);
            web.values.insert(QStringLiteral("netRxBytes"), t * 2048);
            web.values.insert(QStringLiteral("netTxBytes"), t * MiB);
            model.addSamples(t * Second, {web, entry(QStringLiteral("db"), t * Second / 20, 12 * MiB)});
        }
        const int webRow = model.rowOf(QStringLiteral("web1"));
        const int dbRow = model.rowOf(QStringLiteral("db"));
        QCOMPARE(model.index(webRow, InstanceListModel::NetworkColumn).data().toString(),
                 QStringLiteral("↓2 KiB/s\n↑1 MiB/s"));
        QCOMPARE(
            model.index(webRow, InstanceListModel::NetworkColumn).data(InstanceListModel::NetTxRateRole).toDouble(),
            double(MiB));
        QCOMPARE(model.index(webRow, InstanceListModel::AddressColumn).data().toString(),
                 QStringLiteral("10.90.0.5  8080 → 80"));
        QCOMPARE(model.index(dbRow, InstanceListModel::NetworkColumn).data().toString(), QStringLiteral("unknown"));
        QVERIFY(!model.index(dbRow, InstanceListModel::NetworkColumn).data(InstanceListModel::NetRxRateRole).isValid());
        QCOMPARE(model.index(dbRow, InstanceListModel::AddressColumn).data().toString(), QStringLiteral("no network"));
        QTest::qWait(50);
        const int row = filter.mapFromSource(model.index(webRow, 0)).row();
        const QRect netCell = view.visualRect(filter.index(row, InstanceListModel::NetworkColumn));
        const QImage drawn = view.viewport()->grab().toImage();
        QVERIFY2(pixelsLike(drawn, netCell, QColor(0xe6, 0x7e, 0x22)) > 10, "the sent line is drawn");
        QVERIFY2(pixelsLike(drawn, netCell, QColor(0x27, 0xae, 0x60)) > 3, "the received line is drawn");
        const int dbShown = filter.mapFromSource(model.index(dbRow, 0)).row();
        const QRect dbCell = view.visualRect(filter.index(dbShown, InstanceListModel::NetworkColumn));
        QCOMPARE(pixelsLike(drawn, dbCell, QColor(0x27, 0xae, 0x60)), 0); // unknown: no line at all
        QVERIFY(view.grab().save(outputPath(QStringLiteral("instancelist-network.png"))));

        // The veth made again (a restart): the counters fall; that point is unknown, not negative.
        SampleEntry restarted = entry(QStringLiteral("web1"), 30 * Second / 4, 38 * MiB);
        restarted.values.insert(QStringLiteral("netRxBytes"), 10ULL);
        restarted.values.insert(QStringLiteral("netTxBytes"), 10ULL);
        model.addSamples(30 * Second, {restarted});
        QCOMPARE(model.index(webRow, InstanceListModel::NetworkColumn).data().toString(), QStringLiteral("unknown"));
    }

    void performancePage_replacesPointsAndDrawsTheLimit()
    {
        InstanceListModel model;
        model.reset(summaries({QStringLiteral("web1"), QStringLiteral("db")}, {QStringLiteral("tiny1")}));
        feed(model, 90);
        PerformancePage page;
        page.resize(600, 480);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        const InstanceHistory *history = model.stats().history(QStringLiteral("web1"));
        page.setWindowSeconds(60);
        page.showHistory(history, 0.5, 64 * MiB);
        // 1 min window at 1 s: 61 points (both ends), from 89 kept.
        QCOMPARE(page.cpuPointCount(), 61);
        QCOMPARE(page.memoryPointCount(), 61);
        QVERIFY2(page.summaryLabel()->text().contains(QStringLiteral("50% of its 0.5 CPU limit")),
                 qPrintable(page.summaryLabel()->text()));
        QCOMPARE(page.cpuLimitLine(), 50.0);
        QCOMPARE(page.memoryLimitLine(), 64.0);
        QVERIFY(page.grab().save(outputPath(QStringLiteral("performance-synthetic.png"))));

        feed(model, 1, 90);
        page.showHistory(history, 0.5, 64 * MiB);
        QCOMPARE(page.cpuPointCount(), 61); // the window slides: as many points, one newer

        page.setWindowSeconds(600);
        QCOMPARE(page.cpuPointCount(), 90);
        QCOMPARE(QSettings().value(QStringLiteral("performance/windowSeconds")).toInt(), 600);
        QCOMPARE(page.timeAxis()->titleText(), QStringLiteral("minutes ago"));
        QCOMPARE(page.timeAxis()->min(), -10.0);
        // A new page opens on the remembered window.
        PerformancePage reopened;
        QCOMPARE(reopened.windowSeconds(), 600);
    }

    void formatting_readsLikeTheWindowSketch()
    {
        QCOMPARE(Format::memoryOf(38 * MiB, 64 * MiB), QStringLiteral("38/64 MiB"));
        QCOMPARE(Format::memoryOf(51 * MiB, 0), QStringLiteral("51 MiB"));
        QCOMPARE(Format::bytes(1536 * MiB), QStringLiteral("1.5 GiB"));
        QCOMPARE(Format::percent(43.4), QStringLiteral("43%"));
        QCOMPARE(Format::percent(1.23), QStringLiteral("1.2%"));
        QCOMPARE(Format::cores(0.5), QStringLiteral("0.5 CPU"));
    }
};

QTEST_MAIN(TestInstanceList)
#include "tst_instancelist.moc"
