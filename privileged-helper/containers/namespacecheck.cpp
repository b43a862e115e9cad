#include "namespacecheck.h"

#include <QFile>

#include <cstring>
#include <sys/stat.h>

namespace Hamlet::Containers {

NamespaceLink readNamespaceLink(const QString &path)
{
    struct stat info {
    };
    if (::stat(QFile::encodeName(path).constData(), &info) != 0)
        return {0, QStringLiteral("cannot read %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(errno)))};
    return {static_cast<quint64>(info.st_ino), {}};
}

QVariantMap compareNamespace(const NamespaceLink &inside, const NamespaceLink &host)
{
    QVariantMap verdict;
    if (inside.read())
        verdict.insert(QStringLiteral("inode"), inside.inode);
    if (host.read())
        verdict.insert(QStringLiteral("hostInode"), host.inode);
    if (!inside.read() || !host.read()) {
        verdict.insert(QStringLiteral("state"), QStringLiteral("unknown"));
        verdict.insert(QStringLiteral("reason"), inside.read() ? host.problem : inside.problem);
        return verdict;
    }
    verdict.insert(QStringLiteral("state"),
                   inside.inode == host.inode ? QStringLiteral("shared") : QStringLiteral("isolated"));
    return verdict;
}

QVariantMap compareNamespaces(qint64 pid, const QString &procRoot)
{
    QVariantMap namespaces;
    for (const char *type : {"cgroup", "ipc", "mnt", "net", "pid", "user", "uts"}) {
        const QString name = QLatin1String(type);
        namespaces.insert(
            name,
            compareNamespace(readNamespaceLink(QStringLiteral("%1/%2/ns/%3").arg(procRoot).arg(pid).arg(name)),
                             readNamespaceLink(QStringLiteral("%1/self/ns/%2").arg(procRoot, name))));
    }
    return namespaces;
}

} // namespace Hamlet::Containers
