#pragma once

#include "historypoints.h"

#include <QHash>
#include <QSet>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

struct sqlite3;
struct sqlite3_stmt;

namespace Hamlet::History {

// How long each resolution is kept: 1 s points for an hour, 1 min buckets for a day, 10 min
// buckets for a week. Raw points are pruned once a minute, so up to a minute more of them exists.
struct Tier {
    qint64 stepMs;
    qint64 keepMs;
};
inline constexpr Tier RawTier {1000, 3600LL * 1000};
inline constexpr std::array<Tier, 2> BucketTiers {{{60LL * 1000, 86400LL * 1000}, {600LL * 1000, 7 * 86400LL * 1000}}};

// What a read returns: buckets at stepMs, oldest first. single: each bucket is one sample (the
// 1 s points), whose time is the sample's own, else a bucket's time is its start.
struct Window {
    qint64 stepMs = RawTier.stepMs;
    bool single = true;
    std::vector<Bucket> buckets;
};

// The instances' history in one SQLite file (WAL, synchronous=NORMAL: a commit is not fsynced;
// only checkpoints are, so a SIGKILL loses nothing committed and a power cut at most the last
// commits, never the file). One Store per thread: the writer keeps one open, each read opens its
// own. Closing a bucket reads the raw points it covers, so the same code (downsample) makes the
// stored buckets and the ones a read completes from raw points.
class Store
{
public:
    enum class Mode { Write, Read };
    // nullptr with *error set when the file cannot be opened or its schema made.
    static std::unique_ptr<Store> open(const QString &path, Mode mode, QString *error);
    ~Store();
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    // One transaction: the new points, the buckets they complete (those ending at or before
    // nowMs) and, once a minute, what fell out of its tier's time.
    bool write(const QHash<QString, std::vector<Point>> &points, qint64 nowMs, QString *error);
    // Removes every trace of one instance, or of every instance not named.
    bool forget(const QString &name, QString *error);
    bool keepOnly(const QStringList &names, QString *error);

    // [fromMs, toMs] of one instance at the finest resolution kept for fromMs, coarsened until at
    // most maxPoints buckets remain (0: no limit). An unknown name reads as no points.
    std::optional<Window> read(const QString &name, qint64 fromMs, qint64 toMs, quint32 maxPoints, qint64 nowMs,
                               QString *error);

    QStringList names();

private:
    explicit Store(sqlite3 *db);
    bool exec(const char *sql, QString *error);
    sqlite3_stmt *prepared(const QByteArray &sql, QString *error);
    std::optional<qint64> instanceId(const QString &name, bool create, QString *error);
    bool insertPoint(qint64 id, const Point &point, QString *error);
    bool closeBuckets(qint64 id, const Tier &tier, qint64 nowMs, bool *pending, QString *error);
    bool insertBucket(qint64 id, qint64 stepMs, const Bucket &bucket, QString *error);
    bool prune(qint64 nowMs, QString *error);
    std::optional<std::vector<Point>> readPoints(qint64 id, qint64 fromMs, qint64 toMs, QString *error);
    std::optional<std::vector<Bucket>> readBuckets(qint64 id, qint64 stepMs, qint64 fromMs, qint64 toMs,
                                                   QString *error);

    sqlite3 *m_db = nullptr;
    QHash<QByteArray, sqlite3_stmt *> m_statements;
    QHash<QString, qint64> m_ids;
    // Instances whose newest points are not all in buckets yet; per (id, step) the first bucket
    // not written.
    QSet<qint64> m_open;
    QHash<QPair<qint64, qint64>, qint64> m_nextBucket;
    qint64 m_lastPruneMs = 0;
};

} // namespace Hamlet::History
