// The history store fed with a synthetic 8-day series through the same code the helper runs
// (Store::write every 5 min of series time, closing buckets as it goes): every bucket's
// min/mean/max is exact, what is older than its tier is gone, the file stays under the bound the
// README states, and absent values stay absent.
#include "historyrecorder.h"
#include "historyreply.h"
#include "historystore.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace Hamlet;
using namespace Hamlet::History;

namespace {
constexpr qint64 Second = 1000;
constexpr qint64 Day = 86400 * Second;
// Not aligned to a bucket, and samples 37 ms past each second, as real ticks are.
constexpr qint64 Start = 1'700'000'123'000;
constexpr qint64 Offset = 37;
constexpr qint64 Span = 8 * Day;
constexpr int Instances = 2;

// The synthetic series of instance k at second i: a saw-tooth CPU, a wobbling memory, pids absent
// on the third day, cumulative network bytes; instance 0 has no disk or pressure series, instance
// 1 has every series (the store's largest case).
Point pointAt(int k, qint64 i)
{
    Point point;
    point.timeMs = Start + i * Second + Offset;
    point.values[0] = double((i * 7 + k) % 97) / 48.5;
    point.values[1] = 1'000'000.0 + double((i * 7919 + k * 13) % 10007);
    point.values[2] = 64.0 * 1024 * 1024;
    if (i / (Day / Second) != 2)
        point.values[3] = double(1 + (i % 5));
    point.values[6] = double(i * 100 + k);
    point.values[7] = double(i * 10);
    if (k == 1) {
        point.values[4] = double(i * 4096);
        point.values[5] = double(i * 8192 + (i % 7) * 512);
        for (int s = 8; s < SeriesCount; ++s)
            point.values[s] = double((i * s) % 1000) / 10.0;
    }
    return point;
}

// min/mean/max of instance k's series over [from, to) computed here, in time order like the store.
Bucket expected(int k, qint64 fromMs, qint64 toMs)
{
    Bucket bucket {fromMs, {}};
    const qint64 first = std::max<qint64>(0, (fromMs - Start - Offset + Second - 1) / Second);
    for (qint64 i = first; Start + i * Second + Offset < toMs && i < Span / Second; ++i)
        bucket.add(pointAt(k, i));
    return bucket;
}

void compareBucket(const Bucket &actual, const Bucket &wanted, const char *where)
{
    for (int s = 0; s < SeriesCount; ++s) {
        const Aggregate &a = actual.series[s];
        const Aggregate &w = wanted.series[s];
        if (a.count != w.count || (w.count && (a.min != w.min || a.max != w.max || a.mean() != w.mean())))
            QFAIL(qPrintable(QStringLiteral("%1: bucket at %2, series %3: count %4/%5 min %6/%7 mean %8/%9 max %10/%11")
                                 .arg(QLatin1String(where))
                                 .arg(actual.startMs)
                                 .arg(QLatin1String(SeriesNames[s]))
                                 .arg(a.count)
                                 .arg(w.count)
                                 .arg(a.min)
                                 .arg(w.min)
                                 .arg(a.mean())
                                 .arg(w.mean())
                                 .arg(a.max)
                                 .arg(w.max)));
    }
}

qint64 countRows(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt *statement = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &statement, nullptr);
    const qint64 count = sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : -1;
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return count;
}

qint64 storeBytes(const QString &path)
{
    return QFileInfo(path).size() + QFileInfo(path + QStringLiteral("-wal")).size();
}
} // namespace

class TestHistoryStore : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_path;
    std::unique_ptr<Store> m_store;
    qint64 m_now = 0;

    std::unique_ptr<Store> reader()
    {
        QString error;
        std::unique_ptr<Store> store = Store::open(m_path, Store::Mode::Read, &error);
        if (!store)
            qFatal("%s", qPrintable(error));
        return store;
    }

    QString name(int k) const { return QStringLiteral("synthetic%1").arg(k); }

private Q_SLOTS:
    // Eight days fed as the recorder would, in batches of 5 minutes of series time (a batch per
    // 5 s in the helper: the same write, more points per call so the test stays quick).
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QStringLiteral("history.sqlite"));
        QString error;
        m_store = Store::open(m_path, Store::Mode::Write, &error);
        QVERIFY2(m_store, qPrintable(error));
        constexpr qint64 Batch = 300;
        for (qint64 i = 0; i < Span / Second; i += Batch) {
            QHash<QString, std::vector<Point>> points;
            for (int k = 0; k < Instances; ++k)
                for (qint64 j = i; j < i + Batch && j < Span / Second; ++j)
                    points[name(k)].push_back(pointAt(k, j));
            m_now = points[name(0)].back().timeMs + 1;
            QVERIFY2(m_store->write(points, m_now, &error), qPrintable(error));
        }
    }

    void lastHour_isEverySecondExactly()
    {
        QString error;
        const std::optional<Window> window = reader()->read(name(1), m_now - 3600 * Second, m_now, 0, m_now, &error);
        QVERIFY2(window, qPrintable(error));
        QVERIFY(window->single);
        QCOMPARE(window->stepMs, Second);
        QCOMPARE(window->buckets.size(), std::size_t(3600));
        // "The last hour" as a client asks it, its clock a little behind the helper's: still 1 s.
        const std::optional<Window> late
            = reader()->read(name(1), m_now - 3600 * Second - 20, m_now, 0, m_now + 30, &error);
        QVERIFY(late && late->single && late->buckets.size() == 3600);
        const qint64 firstIndex = (window->buckets.front().startMs - Start - Offset) / Second;
        for (std::size_t n = 0; n < window->buckets.size(); ++n) {
            const Point wanted = pointAt(1, firstIndex + qint64(n));
            QCOMPARE(window->buckets[n].startMs, wanted.timeMs);
            Bucket one {wanted.timeMs, {}};
            one.add(wanted);
            compareBucket(window->buckets[n], one, "1 s");
        }
    }

    void lastDay_minuteBucketsAreExact()
    {
        QString error;
        const std::optional<Window> window = reader()->read(name(0), m_now - Day, m_now, 0, m_now, &error);
        QVERIFY2(window, qPrintable(error));
        QVERIFY(!window->single);
        QCOMPARE(window->stepMs, 60 * Second);
        QVERIFY2(window->buckets.size() >= 1440 && window->buckets.size() <= 1441,
                 qPrintable(QString::number(window->buckets.size())));
        for (const Bucket &bucket : window->buckets)
            compareBucket(bucket, expected(0, bucket.startMs, bucket.startMs + 60 * Second), "1 min");
    }

    void lastWeek_tenMinuteBucketsAreExact_andNothingOlderIsKept()
    {
        QString error;
        // Asked from the series' start (8 days ago): a week is what is kept.
        const std::optional<Window> window = reader()->read(name(1), Start, m_now, 0, m_now, &error);
        QVERIFY2(window, qPrintable(error));
        QCOMPARE(window->stepMs, 600 * Second);
        QVERIFY(window->buckets.front().startMs >= m_now - 7 * Day - 600 * Second);
        QVERIFY2(window->buckets.size() >= 1008 && window->buckets.size() <= 1009,
                 qPrintable(QString::number(window->buckets.size())));
        for (const Bucket &bucket : window->buckets)
            compareBucket(bucket, expected(1, bucket.startMs, bucket.startMs + 600 * Second), "10 min");
        QCOMPARE(countRows(m_path,
                           "SELECT COUNT(*) FROM buckets WHERE step = 600000 AND t < "
                               + QByteArray::number(m_now - 7 * Day - 600 * Second)),
                 0);
        // Raw points: an hour, and at most the minute between two prunings.
        QVERIFY(countRows(m_path, "SELECT COUNT(*) FROM raw") <= Instances * (3600 + 60 + 300));
        QVERIFY(countRows(m_path, "SELECT COUNT(*) FROM buckets WHERE step = 60000") <= Instances * (1440 + 2));
    }

    void pidsAbsentOnTheThirdDay_isAbsentNotZero()
    {
        // The third day is older than a day: read it at 10 min from the week tier.
        QString error;
        const qint64 dayThree = Start + 2 * Day;
        const std::optional<Window> window
            = reader()->read(name(0), dayThree + 3600 * Second, dayThree + 2 * 3600 * Second, 0, m_now, &error);
        QVERIFY2(window, qPrintable(error));
        QVERIFY(!window->buckets.empty());
        for (const Bucket &bucket : window->buckets) {
            QCOMPARE(bucket.series[3].count, 0u);
            QVERIFY(isAbsent(bucket.series[3].mean()));
        }
        const Reply reply = toReply(*window);
        QStringList names;
        for (const HistorySeries &series : reply.series)
            names << series.name;
        // Never measured in this window: left out, not sent as zeros.
        QCOMPARE(names,
                 QStringList({QStringLiteral("cpu"), QStringLiteral("memory"), QStringLiteral("memoryLimit"),
                              QStringLiteral("netRxBytes"), QStringLiteral("netTxBytes")}));
    }

    void maxPoints_coarsensToAMultipleWithExactMeans()
    {
        QString error;
        const std::optional<Window> window = reader()->read(name(0), m_now - 3600 * Second, m_now, 600, m_now, &error);
        QVERIFY2(window, qPrintable(error));
        QVERIFY(!window->single);
        QVERIFY(window->buckets.size() <= 600);
        QCOMPARE(window->stepMs % Second, 0);
        QVERIFY(window->stepMs >= 6 * Second);
        // Inner buckets (the edge ones are cut by the window).
        for (std::size_t n = 1; n + 1 < window->buckets.size(); ++n) {
            const Bucket &bucket = window->buckets[n];
            compareBucket(bucket, expected(0, bucket.startMs, bucket.startMs + window->stepMs), "coarsened");
        }
    }

    void storeSize_staysUnderTheStatedBound()
    {
        // README: at most 1.5 MiB per instance kept, plus 4 MiB of write-ahead log and 64 KiB.
        const qint64 bytes = storeBytes(m_path);
        qInfo("store after 8 days of %d instances: %lld bytes (%lld per instance, wal %lld)", Instances, bytes,
              bytes / Instances, QFileInfo(m_path + QStringLiteral("-wal")).size());
        QVERIFY2(bytes <= Instances * 1536 * 1024 + 4 * 1024 * 1024 + 64 * 1024, qPrintable(QString::number(bytes)));
    }

    void forget_removesEveryTrace()
    {
        QString error;
        QVERIFY2(m_store->forget(name(1), &error), qPrintable(error));
        const std::optional<Window> window = reader()->read(name(1), m_now - 3600 * Second, m_now, 0, m_now, &error);
        QVERIFY(window && window->buckets.empty());
        QCOMPARE(countRows(m_path, "SELECT COUNT(*) FROM instances WHERE name = 'synthetic1'"), 0);
        QCOMPARE(countRows(m_path, "SELECT COUNT(*) FROM raw WHERE instance NOT IN (SELECT id FROM instances)"), 0);
        QCOMPARE(countRows(m_path, "SELECT COUNT(*) FROM buckets WHERE instance NOT IN (SELECT id FROM instances)"), 0);
        // The other instance is untouched.
        QVERIFY(countRows(m_path, "SELECT COUNT(*) FROM raw") >= 3600);
    }

    void pointOf_leavesWhatWasNotMeasuredAbsent()
    {
        const Point point = Recorder::pointOf(Start,
                                              {{QStringLiteral("memoryBytes"), 1024ULL},
                                               {QStringLiteral("memoryLimitBytes"), 0ULL},
                                               {QStringLiteral("netRxBytes"), 0ULL}},
                                              std::nullopt);
        QVERIFY(isAbsent(point.values[0])); // no previous tick: no CPU rate
        QCOMPARE(point.values[1], 1024.0);
        QVERIFY(isAbsent(point.values[2])); // a limit of 0 is "no limit"
        QVERIFY(isAbsent(point.values[3])); // VMs have no pids
        QCOMPARE(point.values[6], 0.0); // measured 0 stays 0
    }

    void open_unwritablePlace_failsWithAReason()
    {
        QString error;
        QVERIFY(!Store::open(QStringLiteral("/proc/hamlet-history.sqlite"), Store::Mode::Write, &error));
        QVERIFY2(error.contains(QStringLiteral("history store")), qPrintable(error));
        QVERIFY(!Store::open(m_dir.filePath(QStringLiteral("missing.sqlite")), Store::Mode::Read, &error));
    }
};

QTEST_GUILESS_MAIN(TestHistoryStore)
#include "tst_historystore.moc"
