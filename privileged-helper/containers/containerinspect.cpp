// ContainerBackend::inspect: the "container parts" made visible, read from /proc and the cgroup
// files of the running container, so that what is shown is what is in force, not what was asked.
#include "containerbackend.h"

#include "overlaymount.h"

#include <QFileInfo>

#include <sys/stat.h>

namespace Hamlet::Containers {

namespace {

QString procStatusField(qint64 pid, const QByteArray &field)
{
    for (const QByteArray &line : readSmallFile(QStringLiteral("/proc/%1/status").arg(pid)).split('\n')) {
        if (line.startsWith(field + ':'))
            return QString::fromLatin1(line.mid(field.size() + 1).trimmed());
    }
    return {};
}

quint64 namespaceInode(const QString &pid, const QString &type)
{
    struct stat info {
    };
    if (::stat(QFile::encodeName(QStringLiteral("/proc/%1/ns/%2").arg(pid, type)).constData(), &info) != 0)
        return 0;
    return info.st_ino;
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
    if (container->pid == 0)
        return parts;

    const QString pid = QString::number(container->pid);
    QVariantMap namespaces;
    for (const QString &type :
         {QStringLiteral("pid"), QStringLiteral("mnt"), QStringLiteral("uts"), QStringLiteral("ipc"),
          QStringLiteral("net"), QStringLiteral("cgroup"), QStringLiteral("user")}) {
        const quint64 inside = namespaceInode(pid, type);
        const quint64 host = namespaceInode(QStringLiteral("1"), type);
        namespaces.insert(type,
                          QVariantMap {{QStringLiteral("inode"), inside},
                                       {QStringLiteral("hostInode"), host},
                                       {QStringLiteral("isolated"), inside != 0 && inside != host}});
    }
    parts.insert(QStringLiteral("namespaces"), namespaces);
    parts.insert(QStringLiteral("capEff"), procStatusField(container->pid, "CapEff"));
    parts.insert(QStringLiteral("capBnd"), procStatusField(container->pid, "CapBnd"));
    parts.insert(QStringLiteral("noNewPrivs"), procStatusField(container->pid, "NoNewPrivs") == QStringLiteral("1"));
    // 0 none, 1 strict, 2 filter
    parts.insert(QStringLiteral("seccompMode"), procStatusField(container->pid, "Seccomp").toInt());
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
