#include "instancehistory.h"

#include <algorithm>
#include <cmath>

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

void InstanceHistory::prepend(const std::vector<StatPoint> &older)
{
    std::vector<StatPoint> points;
    const std::optional<double> firstLive = m_count > 0 ? std::optional<double>(at(0).seconds) : std::nullopt;
    for (const StatPoint &point : older)
        if (!firstLive || point.seconds < *firstLive)
            points.push_back(point);
    for (std::size_t i = 0; i < m_count; ++i)
        points.push_back(at(i));
    const std::size_t keep = std::min(points.size(), m_points.size());
    std::copy(points.end() - static_cast<std::ptrdiff_t>(keep), points.end(), m_points.begin());
    m_head = 0;
    m_count = keep;
}

std::vector<StatPoint> statPointsFrom(const HistoryData &data, qint64 wallNowNs, qulonglong monotonicNowNs,
                                      double cpuLimitCores)
{
    std::vector<StatPoint> points;
    const HistorySeries *cpu = data.find(QStringLiteral("cpu"));
    const HistorySeries *memory = data.find(QStringLiteral("memory"));
    const HistorySeries *limit = data.find(QStringLiteral("memoryLimit"));
    const HistorySeries *pids = data.find(QStringLiteral("pids"));
    const HistorySeries *rx = data.find(QStringLiteral("netRxBytes"));
    const HistorySeries *tx = data.find(QStringLiteral("netTxBytes"));
    const auto value = [](const HistorySeries *series, qsizetype i) -> std::optional<double> {
        if (!series || i >= series->mean.size() || std::isnan(series->mean.at(i)))
            return std::nullopt;
        return series->mean.at(i);
    };
    const auto rate = [&](const HistorySeries *series, qsizetype i) -> std::optional<double> {
        const std::optional<double> now = value(series, i);
        const std::optional<double> before = i > 0 ? value(series, i - 1) : std::nullopt;
        const double seconds = i > 0 ? double(data.timesNs.at(i) - data.timesNs.at(i - 1)) / 1e9 : 0;
        if (!now || !before || *now < *before || seconds <= 0)
            return std::nullopt;
        return (*now - *before) / seconds;
    };
    for (qsizetype i = 0; i < data.timesNs.size(); ++i) {
        const std::optional<double> cores = value(cpu, i);
        if (!cores) // a point without a CPU rate (the first after a start) is not drawn live either
            continue;
        StatPoint point;
        point.seconds = (double(monotonicNowNs) - double(wallNowNs - data.timesNs.at(i))) / 1e9;
        point.cpuPercent = *cores * 100.0;
        point.cpuPercentOfLimit = cpuLimitCores > 0 ? point.cpuPercent / cpuLimitCores : 0.0;
        point.memoryBytes = static_cast<qulonglong>(value(memory, i).value_or(0));
        point.memoryLimitBytes = static_cast<qulonglong>(value(limit, i).value_or(0));
        if (const std::optional<double> count = value(pids, i))
            point.pids = static_cast<qulonglong>(*count);
        point.netRxBytesPerSecond = rate(rx, i);
        point.netTxBytesPerSecond = rate(tx, i);
        points.push_back(point);
    }
    return points;
}

void StatsStore::seed(const QString &name, const std::vector<StatPoint> &older)
{
    auto it = m_histories.find(name);
    if (it == m_histories.end())
        it = m_histories.insert(name, InstanceHistory(m_capacity));
    it->prepend(older);
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
