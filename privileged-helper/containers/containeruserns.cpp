// ContainerBackend: the id ranges of containers with a user namespace of their own, and their
// rootfs (idmapped layers under the overlay).
#include "containerbackend.h"

#include "idmappedmount.h"
#include "logging.h"
#include "overlaymount.h"

#include <QFile>
#include <QFileInfo>

#include <sys/stat.h>
#include <unistd.h>

namespace Hamlet::Containers {

namespace {

// The container's root (a host id of its range) must reach its rootfs by path, as the runtime
// mounts it from inside the user namespace: every directory above the bundle must be searchable
// by others. The bundle itself is the container's group's only (0710).
Status checkSearchable(const QString &bundle)
{
    for (QString dir = QFileInfo(bundle).absolutePath(); dir != QLatin1String("/");
         dir = QFileInfo(dir).absolutePath()) {
        struct stat info {
        };
        if (::stat(QFile::encodeName(dir).constData(), &info) != 0)
            return failed(errnoMessage(QStringLiteral("cannot read"), dir, errno));
        if ((info.st_mode & S_IXOTH) == 0)
            return failed(QStringLiteral("the state directory's parent %1 is not searchable by others (mode %2): a "
                                         "container's root reaches its rootfs through it; chmod o+x %1")
                              .arg(dir)
                              .arg(info.st_mode & 07777, 4, 8, QLatin1Char('0')));
    }
    return success();
}

// The first line of /proc/PID/uid_map ("0 1065536 65536"): what is in force, not what was asked.
std::optional<IdRange> idMapInForce(qint64 pid, QString *text)
{
    *text = QString::fromLatin1(readSmallFile(QStringLiteral("/proc/%1/uid_map").arg(pid)).simplified());
    const QStringList fields = text->split(QLatin1Char(' '));
    if (fields.size() != 3 || fields.at(0) != QLatin1String("0"))
        return std::nullopt;
    return IdRange {fields.at(1).toULongLong(), fields.at(2).toULongLong()};
}

} // namespace

void ContainerBackend::reserveIdPool()
{
    m_idPool = SubordinateIds::reserve(m_options.subidDir);
    if (m_idPool)
        Log::containers()->info("container ids: {} ids from {} (\"hamlet\" in {}/subuid and subgid)", m_idPool->size,
                                m_idPool->hostId, m_options.subidDir);
    else
        Log::containers()->error("containers cannot get user namespaces: {}", m_idPool.error().message);
}

Result<IdRange> ContainerBackend::allocateIds() const
{
    if (!m_idPool)
        return ErrorReply {Error::Unsupported,
                           QStringLiteral("containers cannot get an id range of their own (%1): fix that, or create "
                                          "the container with userns \"host\"")
                               .arg(m_idPool.error().message)};
    QList<IdRange> used;
    for (const auto &[name, container] : m_containers) {
        if (container->record.idMap)
            used << *container->record.idMap;
    }
    const std::optional<IdRange> picked = SubordinateIds::pick(*m_idPool, used);
    if (!picked)
        return ErrorReply {Error::Busy,
                           QStringLiteral("all %1 id ranges of the helper are in use: delete a container first")
                               .arg(m_idPool->size / SubordinateIds::kPerContainer)};
    return *picked;
}

Status ContainerBackend::mountRootfs(const Container &container) const
{
    const QString bundle = bundlePath(container.record.spec.name);
    const QString rootfs = bundle + QStringLiteral("/rootfs");
    const QString upper = bundle + QStringLiteral("/upper");
    const QString work = bundle + QStringLiteral("/work");
    if (!container.record.idMap)
        return OverlayMount::mount(container.record.lowerDirs, upper, work, rootfs);
    const IdRange &range = *container.record.idMap;
    if (Status searchable = checkSearchable(bundle); !searchable)
        return searchable;
    // Root of the host keeps the bundle; the container's root may only pass through it.
    if (::chown(QFile::encodeName(bundle).constData(), 0, gid_t(range.hostId)) != 0
        || ::chmod(QFile::encodeName(bundle).constData(), 0710) != 0)
        return failed(errnoMessage(QStringLiteral("cannot give the container's group access to"), bundle, errno));
    return IdmappedMount::mountOverlay(container.record.lowerDirs, upper, work, rootfs, range,
                                       bundle + QStringLiteral("/l"));
}

QVariantMap ContainerBackend::userParts(const Container &container) const
{
    QVariantMap parts {{QStringLiteral("userns"), container.record.spec.userns}};
    std::optional<IdRange> range = container.record.idMap;
    if (container.pid != 0) {
        QString text;
        range = idMapInForce(container.pid, &text);
        parts.insert(QStringLiteral("uidMap"), text);
    }
    // The host's own map (0 0 4294967295) is no range of the container's: root here is root there.
    if (range && !(range->hostId == 0 && range->size >= SubordinateIds::kIdLimit))
        parts.insert(QStringLiteral("idMap"),
                     QVariantMap {{QStringLiteral("containerId"), 0u},
                                  {QStringLiteral("hostId"), qulonglong(range->hostId)},
                                  {QStringLiteral("size"), qulonglong(range->size)}});
    return parts;
}

} // namespace Hamlet::Containers
