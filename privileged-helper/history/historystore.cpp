#include "historystore.h"

#include <sqlite3.h>

#include <algorithm>
#include <limits>

namespace Hamlet::History {

namespace {

QString sqliteError(sqlite3 *db, const char *what)
{
    return QStringLiteral("history store: %1: %2").arg(QLatin1String(what), QString::fromUtf8(sqlite3_errmsg(db)));
}

QByteArray rawColumns(const char *suffix = "")
{
    QByteArray columns;
    for (const char *name : SeriesNames)
        columns += QByteArray(", ") + name + suffix;
    return columns;
}

// Per series in a bucket row: its sample count, min, sum (the mean is sum / count, exact when
// buckets merge) and max; NULL where the series was not measured.
QByteArray bucketColumns(const char *suffix = "")
{
    QByteArray columns;
    for (const char *name : SeriesNames)
        for (const char *part : {"_n", "_min", "_sum", "_max"})
            columns += QByteArray(", ") + name + part + suffix;
    return columns;
}

QByteArray placeholders(int count)
{
    QByteArray list;
    for (int i = 0; i < count; ++i)
        list += ", ?";
    return list;
}

void bindValue(sqlite3_stmt *statement, int index, double value)
{
    if (isAbsent(value))
        sqlite3_bind_null(statement, index);
    else
        sqlite3_bind_double(statement, index, value);
}

// Resets a cached statement whatever way the caller leaves.
struct Reset {
    sqlite3_stmt *statement;
    ~Reset()
    {
        if (statement) {
            sqlite3_reset(statement);
            sqlite3_clear_bindings(statement);
        }
    }
};

} // namespace

std::unique_ptr<Store> Store::open(const QString &path, Mode mode, QString *error)
{
    sqlite3 *db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (mode == Mode::Write ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, flags, nullptr) != SQLITE_OK) {
        *error = db ? sqliteError(db, "cannot open the file") : QStringLiteral("history store: out of memory");
        sqlite3_close(db);
        return nullptr;
    }
    sqlite3_busy_timeout(db, 5000);
    std::unique_ptr<Store> store(new Store(db));
    if (mode == Mode::Read)
        return store->exec("PRAGMA query_only = 1", error) ? std::move(store) : nullptr;
    // auto_vacuum only takes effect before the first table: pages of deleted instances then go
    // back to the file system with incremental_vacuum.
    const QByteArray schema
        = "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; "
          "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 4194304; "
          "CREATE TABLE IF NOT EXISTS instances (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL); "
          "CREATE TABLE IF NOT EXISTS raw (instance INTEGER NOT NULL, t INTEGER NOT NULL"
        + rawColumns(" REAL")
        + ", PRIMARY KEY (instance, t)) WITHOUT ROWID; "
          "CREATE TABLE IF NOT EXISTS buckets (instance INTEGER NOT NULL, step INTEGER NOT NULL, t INTEGER NOT NULL"
        + bucketColumns() + ", PRIMARY KEY (instance, step, t)) WITHOUT ROWID;";
    if (!store->exec(schema.constData(), error))
        return nullptr;
    // Every instance may have points not in buckets yet (the helper stopped before it closed them).
    for (const QString &name : store->names())
        if (const std::optional<qint64> id = store->instanceId(name, false, error))
            store->m_open.insert(*id);
    return store;
}

Store::Store(sqlite3 *db)
    : m_db(db)
{ }

Store::~Store()
{
    for (sqlite3_stmt *statement : std::as_const(m_statements))
        sqlite3_finalize(statement);
    sqlite3_close(m_db);
}

bool Store::exec(const char *sql, QString *error)
{
    char *message = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) == SQLITE_OK)
        return true;
    *error = QStringLiteral("history store: %1").arg(QString::fromUtf8(message ? message : "failed"));
    sqlite3_free(message);
    return false;
}

sqlite3_stmt *Store::prepared(const QByteArray &sql, QString *error)
{
    if (sqlite3_stmt *cached = m_statements.value(sql))
        return cached;
    sqlite3_stmt *statement = nullptr;
    if (sqlite3_prepare_v3(m_db, sql.constData(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &statement,
                           nullptr)
        != SQLITE_OK) {
        *error = sqliteError(m_db, "cannot prepare a statement");
        return nullptr;
    }
    m_statements.insert(sql, statement);
    return statement;
}

QStringList Store::names()
{
    QString ignored;
    QStringList names;
    sqlite3_stmt *select = prepared("SELECT name FROM instances", &ignored);
    Reset reset {select};
    while (select && sqlite3_step(select) == SQLITE_ROW)
        names << QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(select, 0)));
    return names;
}

std::optional<qint64> Store::instanceId(const QString &name, bool create, QString *error)
{
    if (const auto it = m_ids.constFind(name); it != m_ids.constEnd())
        return *it;
    const QByteArray utf8 = name.toUtf8();
    if (create) {
        sqlite3_stmt *insert = prepared("INSERT OR IGNORE INTO instances (name) VALUES (?)", error);
        Reset reset {insert};
        if (!insert)
            return std::nullopt;
        sqlite3_bind_text(insert, 1, utf8.constData(), static_cast<int>(utf8.size()), SQLITE_TRANSIENT);
        if (sqlite3_step(insert) != SQLITE_DONE) {
            *error = sqliteError(m_db, "cannot record an instance");
            return std::nullopt;
        }
    }
    sqlite3_stmt *select = prepared("SELECT id FROM instances WHERE name = ?", error);
    Reset reset {select};
    if (!select)
        return std::nullopt;
    sqlite3_bind_text(select, 1, utf8.constData(), static_cast<int>(utf8.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(select) != SQLITE_ROW)
        return std::nullopt; // not an error: no history yet
    const qint64 id = sqlite3_column_int64(select, 0);
    m_ids.insert(name, id);
    return id;
}

bool Store::insertPoint(qint64 id, const Point &point, QString *error)
{
    sqlite3_stmt *insert = prepared("INSERT OR REPLACE INTO raw (instance, t" + rawColumns() + ") VALUES (?, ?"
                                        + placeholders(SeriesCount) + ")",
                                    error);
    Reset reset {insert};
    if (!insert)
        return false;
    sqlite3_bind_int64(insert, 1, id);
    sqlite3_bind_int64(insert, 2, point.timeMs);
    for (int i = 0; i < SeriesCount; ++i)
        bindValue(insert, 3 + i, point.values[i]);
    if (sqlite3_step(insert) != SQLITE_DONE) {
        *error = sqliteError(m_db, "cannot write a point");
        return false;
    }
    return true;
}

bool Store::insertBucket(qint64 id, qint64 stepMs, const Bucket &bucket, QString *error)
{
    sqlite3_stmt *insert = prepared("INSERT OR REPLACE INTO buckets (instance, step, t" + bucketColumns()
                                        + ") VALUES (?, ?, ?" + placeholders(4 * SeriesCount) + ")",
                                    error);
    Reset reset {insert};
    if (!insert)
        return false;
    sqlite3_bind_int64(insert, 1, id);
    sqlite3_bind_int64(insert, 2, stepMs);
    sqlite3_bind_int64(insert, 3, bucket.startMs);
    for (int i = 0; i < SeriesCount; ++i) {
        const Aggregate &series = bucket.series[i];
        const int column = 4 + 4 * i;
        sqlite3_bind_int64(insert, column, series.count);
        bindValue(insert, column + 1, series.count ? series.min : Absent);
        bindValue(insert, column + 2, series.count ? series.sum : Absent);
        bindValue(insert, column + 3, series.count ? series.max : Absent);
    }
    if (sqlite3_step(insert) != SQLITE_DONE) {
        *error = sqliteError(m_db, "cannot write a bucket");
        return false;
    }
    return true;
}

bool Store::write(const QHash<QString, std::vector<Point>> &points, qint64 nowMs, QString *error)
{
    if (!exec("BEGIN IMMEDIATE", error))
        return false;
    const auto fail = [this] {
        QString ignored;
        exec("ROLLBACK", &ignored);
        return false;
    };
    for (auto it = points.cbegin(); it != points.cend(); ++it) {
        const std::optional<qint64> id = instanceId(it.key(), true, error);
        if (!id)
            return fail();
        for (const Point &point : it.value())
            if (!insertPoint(*id, point, error))
                return fail();
        m_open.insert(*id);
    }
    const QSet<qint64> open = m_open;
    for (const qint64 id : open) {
        bool pending = false;
        for (const Tier &tier : BucketTiers)
            if (!closeBuckets(id, tier, nowMs, &pending, error))
                return fail();
        if (!pending)
            m_open.remove(id);
    }
    if (nowMs - m_lastPruneMs >= 60 * 1000) {
        if (!prune(nowMs, error))
            return fail();
        m_lastPruneMs = nowMs;
    }
    return exec("COMMIT", error) || fail();
}

// Writes every bucket of this tier that ended by nowMs, from the raw points it covers. *pending:
// points remain that belong to a bucket still open.
bool Store::closeBuckets(qint64 id, const Tier &tier, qint64 nowMs, bool *pending, QString *error)
{
    const QPair<qint64, qint64> key {id, tier.stepMs};
    if (!m_nextBucket.contains(key)) {
        sqlite3_stmt *last = prepared("SELECT MAX(t) FROM buckets WHERE instance = ? AND step = ?", error);
        Reset reset {last};
        if (!last)
            return false;
        sqlite3_bind_int64(last, 1, id);
        sqlite3_bind_int64(last, 2, tier.stepMs);
        const bool found = sqlite3_step(last) == SQLITE_ROW && sqlite3_column_type(last, 0) != SQLITE_NULL;
        m_nextBucket.insert(key,
                            found ? sqlite3_column_int64(last, 0) + tier.stepMs : std::numeric_limits<qint64>::min());
    }
    qint64 &next = m_nextBucket[key];
    sqlite3_stmt *first = prepared("SELECT MIN(t) FROM raw WHERE instance = ? AND t >= ?", error);
    if (!first)
        return false;
    for (;;) {
        sqlite3_bind_int64(first, 1, id);
        sqlite3_bind_int64(first, 2, next);
        const bool found = sqlite3_step(first) == SQLITE_ROW && sqlite3_column_type(first, 0) != SQLITE_NULL;
        const qint64 firstMs = found ? sqlite3_column_int64(first, 0) : 0;
        sqlite3_reset(first);
        if (!found)
            return true;
        const qint64 start = bucketStart(firstMs, tier.stepMs);
        if (start + tier.stepMs > nowMs) {
            *pending = true;
            next = start;
            return true;
        }
        const std::optional<std::vector<Point>> points = readPoints(id, start, start + tier.stepMs - 1, error);
        if (!points)
            return false;
        for (const Bucket &bucket : downsample(*points, tier.stepMs))
            if (!insertBucket(id, tier.stepMs, bucket, error))
                return false;
        next = start + tier.stepMs;
    }
}

bool Store::prune(qint64 nowMs, QString *error)
{
    sqlite3_stmt *raw = prepared("DELETE FROM raw WHERE instance = ? AND t < ?", error);
    sqlite3_stmt *buckets = prepared("DELETE FROM buckets WHERE instance = ? AND step = ? AND t < ?", error);
    if (!raw || !buckets)
        return false;
    for (const QString &name : names()) {
        const std::optional<qint64> id = instanceId(name, false, error);
        if (!id)
            continue;
        // A raw point goes once every bucket it belongs to is written.
        qint64 rawBefore = nowMs - RawTier.keepMs;
        for (const Tier &tier : BucketTiers)
            rawBefore = std::min(rawBefore, m_nextBucket.value({*id, tier.stepMs}, rawBefore));
        Reset resetRaw {raw};
        sqlite3_bind_int64(raw, 1, *id);
        sqlite3_bind_int64(raw, 2, rawBefore);
        if (sqlite3_step(raw) != SQLITE_DONE) {
            *error = sqliteError(m_db, "cannot prune points");
            return false;
        }
        for (const Tier &tier : BucketTiers) {
            Reset resetBuckets {buckets};
            sqlite3_bind_int64(buckets, 1, *id);
            sqlite3_bind_int64(buckets, 2, tier.stepMs);
            sqlite3_bind_int64(buckets, 3, nowMs - tier.keepMs);
            if (sqlite3_step(buckets) != SQLITE_DONE) {
                *error = sqliteError(m_db, "cannot prune buckets");
                return false;
            }
        }
    }
    return true;
}

bool Store::forget(const QString &name, QString *error)
{
    const std::optional<qint64> id = instanceId(name, false, error);
    if (!id)
        return true;
    for (const char *sql : {"DELETE FROM raw WHERE instance = ?", "DELETE FROM buckets WHERE instance = ?",
                            "DELETE FROM instances WHERE id = ?"}) {
        sqlite3_stmt *remove = prepared(sql, error);
        Reset reset {remove};
        if (!remove)
            return false;
        sqlite3_bind_int64(remove, 1, *id);
        if (sqlite3_step(remove) != SQLITE_DONE) {
            *error = sqliteError(m_db, "cannot remove an instance's history");
            return false;
        }
    }
    m_ids.remove(name);
    m_open.remove(*id);
    for (const Tier &tier : BucketTiers)
        m_nextBucket.remove({*id, tier.stepMs});
    return exec("PRAGMA incremental_vacuum", error);
}

bool Store::keepOnly(const QStringList &names, QString *error)
{
    for (const QString &name : this->names())
        if (!names.contains(name) && !forget(name, error))
            return false;
    return true;
}

} // namespace Hamlet::History
