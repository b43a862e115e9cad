#pragma once

#include "containerspec.h"
#include "result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

namespace Hamlet::Containers {

// What the sampler and Inspect read from a container's cgroup. Counters are cumulative.
struct CgroupStats {
    quint64 cpuUsageNs = 0;
    quint64 memoryUsage = 0; // without reclaimable page cache (inactive files), as podman and docker report it
    std::optional<quint64> memoryLimit; // none: unlimited
    quint64 pids = 0;
    std::optional<quint64> pidsLimit;
    std::optional<double> cpus; // the CPU quota in cores; none: unlimited
};

// One container's cgroup, on the v1 hierarchies (cpu, cpuacct, memory, pids; also "hybrid") or
// on the unified v2 one. Reads stats and changes limits while the container runs. Paths come from
// the cgroupsPath the container was created with, so no runtime call is needed per sample.
class ContainerCgroup
{
public:
    ContainerCgroup(QString cgroupVersion, QString cgroupsPath, QString cgroupRoot = QStringLiteral("/sys/fs/cgroup"));

    bool isV2() const { return m_version == QStringLiteral("v2"); }
    // The directory of this cgroup under a v1 controller ("memory"), or the v2 directory.
    QString directory(const QString &controller = {}) const;
    // Every directory the container's cgroup has (v1: one per controller) that exists now.
    QStringList existingDirectories() const;

    Result<CgroupStats> stats() const;
    // Only what changes from tick to tick (CPU, memory, pids), for the sampler: the limits are
    // known from the spec and are read back by stats() when someone inspects the container.
    Result<CgroupStats> counters() const;
    // Applies the limits that are set; memory below current usage is refused by the kernel
    // (EBUSY on v1), and that error reaches the caller.
    Status setLimits(const ContainerLimits &limits) const;
    // rmdir of every directory left (an orphan after a crash): only empty cgroups can go.
    Status remove() const;

private:
    QString m_version;
    QString m_path;
    QString m_root;
};

// Parsers of cgroup files, separate so that fixture files can pin them.
namespace CgroupFiles {
// A limit file: "max" (v2) or a v1 "unlimited" value (>= 2^62) is none.
std::optional<quint64> parseLimit(const QByteArray &content);
// A "key value" file such as cpu.stat or memory.stat.
std::optional<quint64> keyedValue(const QByteArray &content, const QByteArray &key);
// cpu.max "QUOTA PERIOD" (v2) in cores; none for "max".
std::optional<double> cpusFromCpuMax(const QByteArray &content);
// cfs_quota_us / cfs_period_us (v1) in cores; none for a quota of -1.
std::optional<double> cpusFromQuota(const QByteArray &quota, const QByteArray &period);
} // namespace CgroupFiles

} // namespace Hamlet::Containers
