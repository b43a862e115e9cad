#include "instancehistory.h"

namespace Hamlet {

namespace {
// The rate of an optional cumulative counter: absent unless both this sample and the previous one
// carry it and it did not go backwards (a restarted instance starts its count again).
std::optional<double> counterRate(const QVariantMap &counters, const QString &key, std::optional<qulonglong> &last,
                                  bool previousUsable, double elapsedSeconds)
{
    const auto it = counters.constFind(key);
    const std::optional<qulonglong> previous = last;
    last = it == counters.cend() ? std::nullopt : std::optional<qulonglong>(it->toULongLong());
    if (!previousUsable || !previous || !last || *last < *previous || elapsedSeconds <= 0)
        return std::nullopt;
    return static_cast<double>(*last - *previous) / elapsedSeconds;
}
} // namespace

InstanceHistory::InstanceHistory(std::size_t capacity)
    : m_points(std::max<std::size_t>(capacity, 1))
{ }

std::optional<StatPoint> InstanceHistory::add(qulonglong monotonicNs, const QVariantMap &counters)
{
    const qulonglong cpuNs = counters.value(QStringLiteral("cpuNs")).toULongLong();
    const std::optional<qulonglong> previousNs = m_lastMonotonicNs;
    const qulonglong previousCpuNs = m_lastCpuNs;
    m_lastMonotonicNs = monotonicNs;
    m_lastCpuNs = cpuNs;
    const bool timeMoved = previousNs && monotonicNs > *previousNs;
    const double elapsedSeconds = timeMoved ? static_cast<double>(monotonicNs - *previousNs) / 1e9 : 0.0;
    // Network counters are followed even on a sample that gives no point, so they restart with it.
    const std::optional<double> rx
        = counterRate(counters, QStringLiteral("netRxBytes"), m_lastNetRx, timeMoved, elapsedSeconds);
    const std::optional<double> tx
        = counterRate(counters, QStringLiteral("netTxBytes"), m_lastNetTx, timeMoved, elapsedSeconds);
    if (!timeMoved || cpuNs < previousCpuNs)
        return std::nullopt;

    StatPoint point;
    point.seconds = static_cast<double>(monotonicNs) / 1e9;
    const double elapsedNs = static_cast<double>(monotonicNs - *previousNs);
    point.cpuPercent = 100.0 * static_cast<double>(cpuNs - previousCpuNs) / elapsedNs;
    const double limitCores = counters.value(QStringLiteral("cpuLimitCores")).toDouble();
    point.cpuPercentOfLimit = limitCores > 0 ? point.cpuPercent / limitCores : 0.0;
    point.memoryBytes = counters.value(QStringLiteral("memoryBytes")).toULongLong();
    point.memoryLimitBytes = counters.value(QStringLiteral("memoryLimitBytes")).toULongLong();
    if (const auto pids = counters.constFind(QStringLiteral("pids")); pids != counters.cend())
        point.pids = pids->toULongLong();
    point.netRxBytesPerSecond = rx;
    point.netTxBytesPerSecond = tx;

    if (m_count < m_points.size()) {
        m_points[(m_head + m_count) % m_points.size()] = point;
        ++m_count;
    } else {
        m_points[m_head] = point;
        m_head = (m_head + 1) % m_points.size();
    }
    return point;
}

std::optional<StatPoint> InstanceHistory::latest() const
{
    if (m_count == 0)
        return std::nullopt;
    return at(m_count - 1);
}

std::vector<StatPoint> InstanceHistory::window(double windowSeconds) const
{
    std::vector<StatPoint> points;
    if (m_count == 0)
        return points;
    const double from = at(m_count - 1).seconds - windowSeconds;
    std::size_t first = m_count;
    while (first > 0 && at(first - 1).seconds >= from)
        --first;
    points.reserve(m_count - first);
    for (std::size_t i = first; i < m_count; ++i)
        points.push_back(at(i));
    return points;
}

QStringList StatsStore::addBatch(qulonglong monotonicNs, const SampleBatch &batch)
{
    QStringList updated;
    for (const SampleEntry &entry : batch) {
        auto it = m_histories.find(entry.name);
        if (it == m_histories.end())
            it = m_histories.insert(entry.name, InstanceHistory(m_capacity));
        if (it->add(monotonicNs, entry.values))
            updated << entry.name;
    }
    return updated;
}

const InstanceHistory *StatsStore::history(const QString &name) const
{
    const auto it = m_histories.constFind(name);
    return it == m_histories.cend() ? nullptr : &it.value();
}

} // namespace Hamlet
