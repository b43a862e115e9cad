// ContainerBackend::inspect: the "container parts" made visible, read from /proc and the cgroup
// files of the running container, so that what is shown is what is in force, not what was asked.
#include "containerbackend.h"

#include "namespacecheck.h"
#include "overlaymount.h"

#include <QFileInfo>
#include <QHash>

namespace Hamlet::Containers {

namespace {

// "Field:\tvalue" lines of /proc/PID/status; empty when it could not be read.
QHash<QByteArray, QString> procStatus(qint64 pid)
{
    QHash<QByteArray, QString> fields;
    for (const QByteArray &line : readSmallFile(QStringLiteral("/proc/%1/status").arg(pid)).split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            fields.insert(line.left(colon), QString::fromLatin1(line.mid(colon + 1).trimmed()));
    }
    return fields;
}

} // namespace

Result<QVariantMap> ContainerBackend::inspect(const QString &name) const
{
    const Container *container = find(name);
    if (!container)
        return ErrorReply {Error::NotFound, QStringLiteral("there is no container \"%1\"").arg(name)};
    const QString bundle = bundlePath(name);
    QVariantMap parts = networkParts(name);
    parts.insert(QVariantMap {
        {QStringLiteral("state"), toString(container->record.state)},
        {QStringLiteral("pid"), container->pid},
        {QStringLiteral("bundle"), bundle},
        {QStringLiteral("cgroupPath"), cgroupsPath(name)},
        {QStringLiteral("cgroupVersion"), m_options.cgroupVersion},
        {QStringLiteral("runtime"), m_options.runtime},
        {QStringLiteral("image"), container->record.spec.image},
        {QStringLiteral("imageDigest"), container->record.imageDigest},
        {QStringLiteral("rootfsLower"), container->record.lowerDirs},
        {QStringLiteral("rootfsUpper"), bundle + QStringLiteral("/upper")},
        {QStringLiteral("rootfsMount"), OverlayMount::mountOptions(bundle + QStringLiteral("/rootfs"))},
    });
    parts.insert(userParts(*container));
    if (container->pid == 0)
        return parts;

    parts.insert(QStringLiteral("namespaces"), compareNamespaces(container->pid));
    // A field that could not be read is named under "unknown" with the reason, never shown as
    // "no capabilities", "no_new_privs off" or "seccomp off".
    const QHash<QByteArray, QString> status = procStatus(container->pid);
    QVariantMap unknown;
    const auto field = [&](const char *key, const QByteArray &name, auto convert) {
        const auto it = status.constFind(name);
        if (it == status.cend())
            unknown.insert(
                QLatin1String(key),
                QStringLiteral("%1 not found in /proc/%2/status").arg(QLatin1String(name)).arg(container->pid));
        else
            parts.insert(QLatin1String(key), convert(*it));
    };
    const auto asText = [](const QString &value) { return QVariant(value); };
    field("capEff", "CapEff", asText);
    field("capBnd", "CapBnd", asText);
    field("noNewPrivs", "NoNewPrivs", [](const QString &value) { return QVariant(value == QLatin1String("1")); });
    // 0 none, 1 strict, 2 filter
    field("seccompMode", "Seccomp", [](const QString &value) { return QVariant(value.toInt()); });
    if (!unknown.isEmpty())
        parts.insert(QStringLiteral("unknown"), unknown);
    if (const Result<CgroupStats> stats = cgroupOf(name).stats(); stats) {
        if (stats->memoryLimit)
            parts.insert(QStringLiteral("memoryLimit"), *stats->memoryLimit);
        if (stats->cpus)
            parts.insert(QStringLiteral("cpus"), *stats->cpus);
        if (stats->pidsLimit)
            parts.insert(QStringLiteral("pidsLimit"), *stats->pidsLimit);
        parts.insert(QStringLiteral("memoryUsage"), stats->memoryUsage);
        parts.insert(QStringLiteral("cpuUsageNs"), stats->cpuUsageNs);
    }
    return parts;
}

} // namespace Hamlet::Containers
