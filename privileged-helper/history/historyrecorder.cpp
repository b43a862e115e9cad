#include "historyrecorder.h"

#include "logging.h"

#include <QDateTime>
#include <QtConcurrent/QtConcurrentRun>

namespace Hamlet::History {

namespace {
// Where each series comes from in a Samples entry (cpu is computed from cpuNs).
constexpr std::array<const char *, SeriesCount> SampleKeys {
    nullptr,      "memoryBytes", "memoryLimitBytes", "pids",           "diskReadBytes", "diskWriteBytes",
    "netRxBytes", "netTxBytes",  "cpuPressure",      "memoryPressure", "ioPressure"};
constexpr int MemoryLimit = 2;
} // namespace

Recorder::Recorder(QString path, QObject *parent)
    : QObject(parent)
    , m_path(std::move(path))
{
    QString error;
    m_store = Store::open(m_path, Store::Mode::Write, &error);
    if (!m_store) {
        Log::stats()->error("{}: history is not recorded (check that the state directory is writable)", error);
        return;
    }
    m_readers.setMaxThreadCount(2);
    m_thread.setObjectName(QStringLiteral("history-writer"));
    m_writer.moveToThread(&m_thread);
    m_thread.start();
}

Recorder::~Recorder()
{
    if (!m_store)
        return;
    flush();
    m_thread.quit(); // after every write queued before
    m_thread.wait();
}

Point Recorder::pointOf(qint64 wallMs, const QVariantMap &values, std::optional<double> cpuCores)
{
    Point point;
    point.timeMs = wallMs;
    if (cpuCores)
        point.values[0] = *cpuCores;
    for (int i = 1; i < SeriesCount; ++i) {
        const auto it = values.constFind(QLatin1String(SampleKeys[i]));
        if (it == values.constEnd())
            continue;
        bool ok = false;
        const double value = it->toDouble(&ok);
        // A memory limit of 0 is "none": empty, not a limit of 0 bytes.
        if (ok && !(i == MemoryLimit && value == 0))
            point.values[i] = value;
    }
    return point;
}

void Recorder::record(qint64 wallMs, qulonglong monotonicNs, const SampleBatch &batch)
{
    if (!m_store)
        return;
    // The first tick of each second: faster ticks (a subscriber at 100 ms) are not recorded, and a
    // tick that came late does not push the next one out.
    if (m_lastRecordedNs && monotonicNs / 1'000'000'000 == *m_lastRecordedNs / 1'000'000'000)
        return;
    m_lastRecordedNs = monotonicNs;
    QHash<QString, Previous> previous;
    for (const SampleEntry &entry : batch) {
        std::optional<double> cpu;
        const qulonglong cpuNs = entry.values.value(QStringLiteral("cpuNs")).toULongLong();
        // A rate needs the last tick's counter; a counter that went back (a restart) has none.
        if (const auto it = m_previous.constFind(entry.name);
            it != m_previous.constEnd() && cpuNs >= it->cpuNs && monotonicNs > it->monotonicNs)
            cpu = double(cpuNs - it->cpuNs) / double(monotonicNs - it->monotonicNs);
        previous.insert(entry.name, {monotonicNs, cpuNs});
        m_pending[entry.name].push_back(pointOf(wallMs, entry.values, cpu));
    }
    m_previous = previous; // an instance missing from a tick starts its rate over
    if (monotonicNs >= m_lastFlushNs + FlushEveryMs * 1'000'000)
        flush();
}

void Recorder::flush()
{
    if (!m_store)
        return;
    m_lastFlushNs = m_lastRecordedNs.value_or(0);
    if (m_pending.isEmpty())
        return;
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    QMetaObject::invokeMethod(
        &m_writer,
        [store = m_store.get(), points = std::exchange(m_pending, {}), nowMs] {
            QString error;
            if (!store->write(points, nowMs, &error))
                Log::stats()->error("{}: the last 5 s of history are lost", error);
        },
        Qt::QueuedConnection);
}

void Recorder::forget(const QString &name)
{
    m_pending.remove(name);
    m_previous.remove(name);
    if (!m_store)
        return;
    QMetaObject::invokeMethod(
        &m_writer,
        [store = m_store.get(), name] {
            QString error;
            if (!store->forget(name, &error))
                Log::stats()->error("{} (the history of {} stays until the next start)", error, name);
        },
        Qt::QueuedConnection);
}

void Recorder::keepOnly(const QStringList &names)
{
    if (!m_store)
        return;
    QMetaObject::invokeMethod(
        &m_writer,
        [store = m_store.get(), names] {
            QString error;
            if (!store->keepOnly(names, &error))
                Log::stats()->error("{}", error);
        },
        Qt::QueuedConnection);
}

QFuture<ReadResult> Recorder::read(const QString &name, qint64 fromMs, qint64 toMs, quint32 maxPoints) const
{
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    return QtConcurrent::run(&m_readers, [path = m_path, name, fromMs, toMs, maxPoints, nowMs] {
        ReadResult result;
        const std::unique_ptr<Store> store = Store::open(path, Store::Mode::Read, &result.error);
        if (store)
            result.window = store->read(name, fromMs, toMs, maxPoints, nowMs, &result.error);
        return result;
    });
}

} // namespace Hamlet::History
