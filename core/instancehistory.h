#pragma once

#include "dbustypes.h"

#include <QHash>
#include <QString>

#include <optional>
#include <vector>

namespace Hamlet {

// One point of an instance's history, computed from two consecutive samples.
struct StatPoint {
    double seconds = 0; // monotonic time of the sample, in seconds
    double cpuPercent = 0; // of one core: 150 means one and a half cores busy
    double cpuPercentOfLimit = 0; // of the instance's CPU limit (quota or vCPUs); 0 without one
    qulonglong memoryBytes = 0;
    qulonglong memoryLimitBytes = 0; // 0: no limit
    std::optional<qulonglong> pids; // processes in the instance; none for VMs
    // Network bytes per second received and sent (netRxBytes/netTxBytes): absent when the sample
    // has no such counter (not on the Hamlet network, not measured) or the counter restarted.
    std::optional<double> netRxBytesPerSecond;
    std::optional<double> netTxBytesPerSecond;
};

// A bounded history of one instance (by default 1 h at 1 s), fed with the helper's cumulative
// counters. Rates need two samples; a counter that goes backwards (the instance restarted) starts
// the rate over instead of producing a negative spike.
class InstanceHistory
{
public:
    explicit InstanceHistory(std::size_t capacity = 3600);

    // Returns the new point, or nothing when it was the first sample (or after a restart).
    std::optional<StatPoint> add(qulonglong monotonicNs, const QVariantMap &counters);

    std::size_t size() const { return m_count; }
    std::size_t capacity() const { return m_points.size(); }
    // i = 0 is the oldest point kept.
    const StatPoint &at(std::size_t i) const { return m_points[(m_head + i) % m_points.size()]; }
    std::optional<StatPoint> latest() const;
    // Points no older than windowSeconds before the latest.
    std::vector<StatPoint> window(double windowSeconds) const;
    // Puts points recorded before this history began (the helper's, from GetHistory) in front of
    // it: only those older than its first point; the newest capacity() points are kept.
    void prepend(const std::vector<StatPoint> &older);

private:
    std::vector<StatPoint> m_points;
    std::size_t m_head = 0;
    std::size_t m_count = 0;
    std::optional<qulonglong> m_lastMonotonicNs;
    qulonglong m_lastCpuNs = 0;
    std::optional<qulonglong> m_lastNetRx;
    std::optional<qulonglong> m_lastNetTx;
};

// The histories of every instance, fed one Samples batch at a time.
class StatsStore
{
public:
    explicit StatsStore(std::size_t capacity = 3600)
        : m_capacity(capacity)
    { }

    // Returns the names that gained a point.
    QStringList addBatch(qulonglong monotonicNs, const SampleBatch &batch);
    const InstanceHistory *history(const QString &name) const;
    // The helper's recorded points before the live ones (see InstanceHistory::prepend).
    void seed(const QString &name, const std::vector<StatPoint> &older);
    void forget(const QString &name) { m_histories.remove(name); }

private:
    std::size_t m_capacity;
    QHash<QString, InstanceHistory> m_histories;
};

// GetHistory's 1 s points as StatPoints on the Samples clock: wallNowNs and monotonicNowNs are
// the same instant on the Unix and the monotonic clocks. CPU limit from the instance's spec.
std::vector<StatPoint> statPointsFrom(const HistoryData &data, qint64 wallNowNs, qulonglong monotonicNowNs,
                                      double cpuLimitCores);

} // namespace Hamlet
