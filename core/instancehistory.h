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
    void forget(const QString &name) { m_histories.remove(name); }

private:
    std::size_t m_capacity;
    QHash<QString, InstanceHistory> m_histories;
};

} // namespace Hamlet
