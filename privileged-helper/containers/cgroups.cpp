#include "cgroups.h"

#include "fsutil.h"
#include "ociconfig.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cmath>
#include <fcntl.h>
#include <unistd.h>

namespace Hamlet::Containers {

namespace CgroupFiles {

std::optional<quint64> parseLimit(const QByteArray &content)
{
    const QByteArray value = content.trimmed();
    if (value.isEmpty() || value == "max")
        return std::nullopt;
    bool ok = false;
    const qint64 number = value.toLongLong(&ok);
    // v1 reports "no limit" as the page-rounded maximum (9223372036854771712) or -1.
    if (!ok || number < 0 || number >= (qint64(1) << 62))
        return std::nullopt;
    return static_cast<quint64>(number);
}

std::optional<quint64> keyedValue(const QByteArray &content, const QByteArray &key)
{
    for (const QByteArray &line : content.split('\n')) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() == 2 && fields.at(0) == key) {
            bool ok = false;
            const quint64 value = fields.at(1).toULongLong(&ok);
            if (ok)
                return value;
        }
    }
    return std::nullopt;
}

std::optional<double> cpusFromCpuMax(const QByteArray &content)
{
    const QList<QByteArray> fields = content.simplified().split(' ');
    if (fields.size() != 2 || fields.at(0) == "max")
        return std::nullopt;
    const double period = fields.at(1).toDouble();
    return period > 0 ? std::optional<double>(fields.at(0).toDouble() / period) : std::nullopt;
}

std::optional<double> cpusFromQuota(const QByteArray &quota, const QByteArray &period)
{
    const double quotaUs = quota.trimmed().toDouble();
    const double periodUs = period.trimmed().toDouble();
    if (quotaUs <= 0 || periodUs <= 0)
        return std::nullopt;
    return quotaUs / periodUs;
}

} // namespace CgroupFiles

namespace {

Status writeValue(const QString &path, const QByteArray &value)
{
    // No O_CREAT, no O_TRUNC: cgroup files exist, and the kernel takes the one write whole.
    UniqueFd fd(::open(QFile::encodeName(path).constData(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid() || ::write(fd.get(), value.constData(), value.size()) != value.size())
        return failed(
            errnoMessage(QStringLiteral("cannot write \"%1\" to").arg(QString::fromLatin1(value)), path, errno));
    return success();
}

QByteArray read(const QString &path, bool *ok)
{
    return readSmallFile(path, ok);
}

} // namespace

ContainerCgroup::ContainerCgroup(QString cgroupVersion, QString cgroupsPath, QString cgroupRoot)
    : m_version(std::move(cgroupVersion))
    , m_path(std::move(cgroupsPath))
    , m_root(std::move(cgroupRoot))
{ }

QString ContainerCgroup::directory(const QString &controller) const
{
    if (isV2() || controller.isEmpty())
        return m_root + m_path;
    // v1 controllers are mounted alone ("cpu") or co-mounted ("cpu,cpuacct", often with
    // symlinks for each name); find the hierarchy that carries this one.
    QString hierarchy = m_root + QLatin1Char('/') + controller;
    if (!QFileInfo(hierarchy).isDir()) {
        for (const QString &name : QDir(m_root).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            if (name.split(QLatin1Char(',')).contains(controller)) {
                hierarchy = m_root + QLatin1Char('/') + name;
                break;
            }
        }
    }
    return hierarchy + m_path;
}

QStringList ContainerCgroup::existingDirectories() const
{
    QStringList candidates;
    if (isV2()) {
        candidates << directory();
    } else {
        for (const QString &hierarchy : QDir(m_root).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            // Co-mounted controllers appear under several names; canonicalPath folds them.
            const QString dir = QFileInfo(m_root + QLatin1Char('/') + hierarchy + m_path).canonicalFilePath();
            if (!dir.isEmpty() && !candidates.contains(dir))
                candidates << dir;
        }
    }
    QStringList existing;
    for (const QString &dir : candidates) {
        if (QFileInfo(dir).isDir())
            existing << dir;
    }
    return existing;
}

Result<CgroupStats> ContainerCgroup::counters() const
{
    CgroupStats stats;
    bool ok = false;
    if (isV2()) {
        const QString dir = directory();
        const QByteArray cpuStat = read(dir + QStringLiteral("/cpu.stat"), &ok);
        if (!ok)
            return ErrorReply {Error::NotFound, QStringLiteral("the container's cgroup %1 is gone").arg(m_path)};
        stats.cpuUsageNs = CgroupFiles::keyedValue(cpuStat, "usage_usec").value_or(0) * 1000;
        const quint64 current = read(dir + QStringLiteral("/memory.current"), &ok).trimmed().toULongLong();
        const quint64 inactive
            = CgroupFiles::keyedValue(read(dir + QStringLiteral("/memory.stat"), &ok), "inactive_file").value_or(0);
        stats.memoryUsage = current > inactive ? current - inactive : current;
        stats.pids = read(dir + QStringLiteral("/pids.current"), &ok).trimmed().toULongLong();
        return stats;
    }
    const QByteArray usage = read(directory(QStringLiteral("cpuacct")) + QStringLiteral("/cpuacct.usage"), &ok);
    if (!ok)
        return ErrorReply {Error::NotFound, QStringLiteral("the container's cgroup %1 is gone").arg(m_path)};
    stats.cpuUsageNs = usage.trimmed().toULongLong();
    const QString memory = directory(QStringLiteral("memory"));
    const quint64 current = read(memory + QStringLiteral("/memory.usage_in_bytes"), &ok).trimmed().toULongLong();
    const quint64 inactive
        = CgroupFiles::keyedValue(read(memory + QStringLiteral("/memory.stat"), &ok), "total_inactive_file")
              .value_or(0);
    stats.memoryUsage = current > inactive ? current - inactive : current;
    stats.pids = read(directory(QStringLiteral("pids")) + QStringLiteral("/pids.current"), &ok).trimmed().toULongLong();
    return stats;
}

Result<CgroupStats> ContainerCgroup::stats() const
{
    CgroupStats stats;
    bool ok = false;
    auto missing = [this](const QString &file) {
        return ErrorReply {Error::NotFound,
                           QStringLiteral("cannot read %1: the container's cgroup %2 is gone").arg(file, m_path)};
    };
    if (isV2()) {
        const QString dir = directory();
        const QByteArray cpuStat = read(dir + QStringLiteral("/cpu.stat"), &ok);
        if (!ok)
            return missing(dir + QStringLiteral("/cpu.stat"));
        stats.cpuUsageNs = CgroupFiles::keyedValue(cpuStat, "usage_usec").value_or(0) * 1000;
        const quint64 current = read(dir + QStringLiteral("/memory.current"), &ok).trimmed().toULongLong();
        const QByteArray memoryStat = read(dir + QStringLiteral("/memory.stat"), &ok);
        const quint64 inactive = CgroupFiles::keyedValue(memoryStat, "inactive_file").value_or(0);
        stats.memoryUsage = current > inactive ? current - inactive : current;
        stats.memoryLimit = CgroupFiles::parseLimit(read(dir + QStringLiteral("/memory.max"), &ok));
        stats.pids = read(dir + QStringLiteral("/pids.current"), &ok).trimmed().toULongLong();
        stats.pidsLimit = CgroupFiles::parseLimit(read(dir + QStringLiteral("/pids.max"), &ok));
        stats.cpus = CgroupFiles::cpusFromCpuMax(read(dir + QStringLiteral("/cpu.max"), &ok));
        return stats;
    }
    const QString cpuacct = directory(QStringLiteral("cpuacct"));
    const QByteArray usage = read(cpuacct + QStringLiteral("/cpuacct.usage"), &ok);
    if (!ok)
        return missing(cpuacct + QStringLiteral("/cpuacct.usage"));
    stats.cpuUsageNs = usage.trimmed().toULongLong();
    const QString memory = directory(QStringLiteral("memory"));
    const quint64 current = read(memory + QStringLiteral("/memory.usage_in_bytes"), &ok).trimmed().toULongLong();
    const quint64 inactive
        = CgroupFiles::keyedValue(read(memory + QStringLiteral("/memory.stat"), &ok), "total_inactive_file")
              .value_or(0);
    stats.memoryUsage = current > inactive ? current - inactive : current;
    stats.memoryLimit = CgroupFiles::parseLimit(read(memory + QStringLiteral("/memory.limit_in_bytes"), &ok));
    const QString pids = directory(QStringLiteral("pids"));
    stats.pids = read(pids + QStringLiteral("/pids.current"), &ok).trimmed().toULongLong();
    stats.pidsLimit = CgroupFiles::parseLimit(read(pids + QStringLiteral("/pids.max"), &ok));
    const QString cpu = directory(QStringLiteral("cpu"));
    stats.cpus = CgroupFiles::cpusFromQuota(read(cpu + QStringLiteral("/cpu.cfs_quota_us"), &ok),
                                            read(cpu + QStringLiteral("/cpu.cfs_period_us"), &ok));
    return stats;
}

Status ContainerCgroup::setLimits(const ContainerLimits &limits) const
{
    const QByteArray period = QByteArray::number(OciConfig::kCpuPeriodUs);
    if (limits.cpus) {
        const QByteArray quota
            = QByteArray::number(static_cast<qint64>(std::llround(*limits.cpus * OciConfig::kCpuPeriodUs)));
        Status done = isV2() ? writeValue(directory() + QStringLiteral("/cpu.max"), quota + ' ' + period) : [&] {
            const QString cpu = directory(QStringLiteral("cpu"));
            const Status periodSet = writeValue(cpu + QStringLiteral("/cpu.cfs_period_us"), period);
            return periodSet ? writeValue(cpu + QStringLiteral("/cpu.cfs_quota_us"), quota) : periodSet;
        }();
        if (!done)
            return done;
    }
    if (limits.memory) {
        const QString file = isV2() ? directory() + QStringLiteral("/memory.max")
                                    : directory(QStringLiteral("memory")) + QStringLiteral("/memory.limit_in_bytes");
        if (Status done = writeValue(file, QByteArray::number(*limits.memory)); !done)
            return done;
    }
    if (limits.pids) {
        const QString file = (isV2() ? directory() : directory(QStringLiteral("pids"))) + QStringLiteral("/pids.max");
        if (Status done = writeValue(file, QByteArray::number(*limits.pids)); !done)
            return done;
    }
    return success();
}

Status ContainerCgroup::remove() const
{
    QStringList problems;
    for (const QString &dir : existingDirectories()) {
        if (::rmdir(QFile::encodeName(dir).constData()) != 0 && errno != ENOENT)
            problems << errnoMessage(QStringLiteral("cannot remove cgroup"), dir, errno);
    }
    if (!problems.isEmpty())
        return ErrorReply {Error::Busy, problems.join(QStringLiteral("; "))};
    return success();
}

} // namespace Hamlet::Containers
