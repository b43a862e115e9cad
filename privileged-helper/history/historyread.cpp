// The reading half of Store: points and buckets of one instance, at the resolution a window needs.
#include "historystore.h"

#include <sqlite3.h>

namespace Hamlet::History {

namespace {

QByteArray selectColumns(bool buckets)
{
    QByteArray columns;
    for (const char *name : SeriesNames) {
        if (buckets) {
            for (const char *part : {"_n", "_min", "_sum", "_max"})
                columns += QByteArray(", ") + name + part;
        } else {
            columns += QByteArray(", ") + name;
        }
    }
    return columns;
}

double columnValue(sqlite3_stmt *statement, int index)
{
    return sqlite3_column_type(statement, index) == SQLITE_NULL ? Absent : sqlite3_column_double(statement, index);
}

Bucket single(const Point &point)
{
    Bucket bucket {point.timeMs, {}};
    bucket.add(point);
    return bucket;
}

// The finest step, a multiple of baseMs, at which buckets fit in maxPoints.
std::vector<Bucket> coarsen(std::vector<Bucket> buckets, qint64 baseMs, quint32 maxPoints, qint64 *stepMs)
{
    *stepMs = baseMs;
    if (maxPoints == 0 || buckets.size() <= maxPoints)
        return buckets;
    const qint64 span = buckets.back().startMs - buckets.front().startMs + baseMs;
    qint64 factor = std::max<qint64>(2, (span + baseMs * maxPoints - 1) / (baseMs * maxPoints));
    std::vector<Bucket> merged;
    do {
        *stepMs = baseMs * factor++;
        merged = rebucket(buckets, *stepMs);
    } while (merged.size() > maxPoints);
    return merged;
}

} // namespace

std::optional<std::vector<Point>> Store::readPoints(qint64 id, qint64 fromMs, qint64 toMs, QString *error)
{
    sqlite3_stmt *select = prepared(
        "SELECT t" + selectColumns(false) + " FROM raw WHERE instance = ? AND t >= ? AND t <= ? ORDER BY t", error);
    if (!select)
        return std::nullopt;
    sqlite3_bind_int64(select, 1, id);
    sqlite3_bind_int64(select, 2, fromMs);
    sqlite3_bind_int64(select, 3, toMs);
    std::vector<Point> points;
    int status = SQLITE_ROW;
    while ((status = sqlite3_step(select)) == SQLITE_ROW) {
        Point point;
        point.timeMs = sqlite3_column_int64(select, 0);
        for (int i = 0; i < SeriesCount; ++i)
            point.values[i] = columnValue(select, 1 + i);
        points.push_back(point);
    }
    sqlite3_reset(select);
    if (status != SQLITE_DONE) {
        *error = QStringLiteral("history store: cannot read points: %1").arg(QString::fromUtf8(sqlite3_errmsg(m_db)));
        return std::nullopt;
    }
    return points;
}

std::optional<std::vector<Bucket>> Store::readBuckets(qint64 id, qint64 stepMs, qint64 fromMs, qint64 toMs,
                                                      QString *error)
{
    sqlite3_stmt *select = prepared("SELECT t" + selectColumns(true)
                                        + " FROM buckets WHERE instance = ? AND step = ? AND t >= ? AND t <= ? "
                                          "ORDER BY t",
                                    error);
    if (!select)
        return std::nullopt;
    sqlite3_bind_int64(select, 1, id);
    sqlite3_bind_int64(select, 2, stepMs);
    sqlite3_bind_int64(select, 3, fromMs);
    sqlite3_bind_int64(select, 4, toMs);
    std::vector<Bucket> buckets;
    int status = SQLITE_ROW;
    while ((status = sqlite3_step(select)) == SQLITE_ROW) {
        Bucket bucket {sqlite3_column_int64(select, 0), {}};
        for (int i = 0; i < SeriesCount; ++i) {
            Aggregate &series = bucket.series[i];
            const int column = 1 + 4 * i;
            series.count = static_cast<quint32>(sqlite3_column_int64(select, column));
            if (series.count == 0)
                continue;
            series.min = columnValue(select, column + 1);
            series.sum = columnValue(select, column + 2);
            series.max = columnValue(select, column + 3);
        }
        buckets.push_back(bucket);
    }
    sqlite3_reset(select);
    if (status != SQLITE_DONE) {
        *error = QStringLiteral("history store: cannot read buckets: %1").arg(QString::fromUtf8(sqlite3_errmsg(m_db)));
        return std::nullopt;
    }
    return buckets;
}

std::optional<Window> Store::read(const QString &name, qint64 fromMs, qint64 toMs, quint32 maxPoints, qint64 nowMs,
                                  QString *error)
{
    Window window;
    const std::optional<qint64> id = instanceId(name, false, error);
    fromMs = std::max(fromMs, nowMs - BucketTiers.back().keepMs);
    if (!id || toMs < fromMs)
        return window;

    // The finest resolution that still covers fromMs. Pruning runs once a minute, so a tier holds
    // a minute more than it keeps: "the last hour" asked a few ms before nowMs is still 1 s.
    constexpr qint64 PruneSlackMs = 60 * 1000;
    if (fromMs >= nowMs - RawTier.keepMs - PruneSlackMs) {
        const std::optional<std::vector<Point>> points = readPoints(*id, fromMs, toMs, error);
        if (!points)
            return std::nullopt;
        if (maxPoints == 0 || points->size() <= maxPoints) {
            for (const Point &point : *points)
                window.buckets.push_back(single(point));
            return window;
        }
        window.single = false;
        window.buckets = coarsen(downsample(*points, RawTier.stepMs), RawTier.stepMs, maxPoints, &window.stepMs);
        return window;
    }
    const Tier &tier
        = fromMs >= nowMs - BucketTiers.front().keepMs - PruneSlackMs ? BucketTiers.front() : BucketTiers.back();
    std::optional<std::vector<Bucket>> buckets
        = readBuckets(*id, tier.stepMs, bucketStart(fromMs, tier.stepMs), toMs, error);
    if (!buckets)
        return std::nullopt;
    // The buckets not closed yet (the current one, or the last ones before a restart) from the
    // raw points, by the same code that closes them.
    const qint64 tailFrom = buckets->empty() ? bucketStart(fromMs, tier.stepMs) : buckets->back().startMs + tier.stepMs;
    if (tailFrom <= toMs) {
        const std::optional<std::vector<Point>> tail = readPoints(*id, tailFrom, toMs, error);
        if (!tail)
            return std::nullopt;
        for (const Bucket &bucket : downsample(*tail, tier.stepMs))
            buckets->push_back(bucket);
    }
    window.single = false;
    window.buckets = coarsen(std::move(*buckets), tier.stepMs, maxPoints, &window.stepMs);
    return window;
}

} // namespace Hamlet::History
