// ContainerBackend: start-up. What the records say is matched with what the runtime, the mounts
// and the cgroups say, so that a helper killed at any point comes back to a consistent set.
#include "containerbackend.h"

#include "busyboximage.h"
#include "exitwatcher.h"
#include "idmappedmount.h"
#include "logging.h"
#include "names.h"
#include "overlaymount.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QSet>
#include <QtConcurrent>

#include <QCoro/QCoroFuture>

namespace Hamlet::Containers {

QCoro::Task<Status> ContainerBackend::initialize()
{
    // Container inits are orphaned when `runc create` exits; as subreaper the helper inherits
    // them and can read their exit status.
    if (!ExitWatcher::becomeSubreaper())
        Log::containers()->warn("cannot become a child subreaper: container exit codes will be unknown");
    else
        m_reaper.start();
    for (const QString &dir : {m_options.stateDir + QStringLiteral("/instances"),
                               m_options.stateDir + QStringLiteral("/containers"), m_options.runDir}) {
        if (!QDir().mkpath(dir))
            co_return failed(QStringLiteral("cannot create %1: the helper must run as root").arg(dir));
        QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
    // Searchable, not listable: the root of a container with a user namespace of its own (an
    // unprivileged host id) must pass through to its bundle (itself 0710, its group's only).
    QFile::setPermissions(m_options.stateDir + QStringLiteral("/containers"),
                          QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ExeOther);
    reserveIdPool();
    if (Status ready = m_images.initialize(); !ready)
        co_return ready;
    co_await ensureBuiltInImage();
    co_await reconcile();
    // Pins of user namespaces live only from a launch's network set-up to its runtime call: any
    // found now are a killed helper's.
    const QDir pins(m_options.runDir + QStringLiteral("/userns"));
    for (const QString &pin : pins.entryList(QDir::Files | QDir::System))
        IdmappedMount::unpin(pins.filePath(pin));
    co_await sweepImageStore();

    for (const QString &name : names()) {
        const Container *container = find(name);
        const ContainerRecord &record = container->record;
        if (record.spec.autostart && !record.stoppedByUser && record.state != ContainerState::Running
            && record.state != ContainerState::Paused) {
            if (Status started = co_await start(name); !started)
                Log::containers()->warn("autostart of {} failed: {}", name, started.error().message);
        }
    }
    applyRestartPoliciesAtStart();
    co_return success();
}

QCoro::Task<> ContainerBackend::ensureBuiltInImage()
{
    // Built at start, not on first use, so ListImages shows it from the beginning and a removed
    // busybox image comes back at the next start, as the contract says.
    ImageStore *images = &m_images;
    const QString busybox = m_options.busybox;
    auto build = [images, busybox] { return BusyboxImage::ensure(*images, busybox); }; // named: GCC 12
    QFuture<Result<ImageInfo>> building = QtConcurrent::run(std::move(build));
    const Result<ImageInfo> built = co_await building;
    if (!built)
        Log::containers()->warn("the built-in busybox image is unavailable: {}", built.error().message);
}

QCoro::Task<> ContainerBackend::sweepImageStore()
{
    // A pull or import the helper died in has stored blobs (a manifest, a config, whole layers)
    // that no image names: nothing is running that could still claim them, so they go now.
    QStringList layersInUse;
    for (const auto &[name, container] : m_containers)
        layersInUse << container->record.diffIds;
    ImageStore *images = &m_images;
    auto sweep = [images, layersInUse] { return images->garbageCollect(layersInUse); }; // named: GCC 12
    QFuture<quint64> sweeping = QtConcurrent::run(std::move(sweep));
    if (const quint64 freed = co_await sweeping; freed > 0)
        Log::containers()->info("image store: removed {} bytes of blobs no image uses (left by an interrupted "
                                "pull or import)",
                                freed);
}

QCoro::Task<> ContainerBackend::reconcile()
{
    QHash<QString, RuntimeState> runtimeStates;
    if (const Result<QList<RuntimeState>> listed = co_await m_runtime.list(); listed) {
        for (const RuntimeState &state : *listed)
            runtimeStates.insert(state.id, state);
    } else {
        Log::containers()->warn("{}", listed.error().message);
    }

    const QDir instances(m_options.stateDir + QStringLiteral("/instances"));
    for (const QString &leftover : instances.entryList({QStringLiteral("*.tmp")}, QDir::Files))
        QFile::remove(instances.filePath(leftover)); // a write that never reached its rename
    for (const QString &file : instances.entryList({QStringLiteral("*.json")}, QDir::Files)) {
        const QString name = file.chopped(5);
        const Result<ContainerRecord> loaded = ContainerRecord::load(instances.filePath(file));
        if (!isValidInstanceName(name) || !loaded || loaded->spec.name != name) {
            // Moved aside, not deleted (a person may repair it; its bundle and data stay), and out
            // of the way of a new container of that name.
            const QString aside = instances.filePath(file) + QStringLiteral(".unreadable");
            QFile::remove(aside);
            const bool moved = QFile::rename(instances.filePath(file), aside);
            Log::containers()->error("{} cannot be loaded ({}){}; the other containers load", instances.filePath(file),
                                     loaded ? QStringLiteral("its name does not match") : loaded.error().message,
                                     moved ? QStringLiteral(": moved aside to ") + aside : QString());
            continue;
        }
        auto owned = std::make_unique<Container>();
        Container &container = *owned;
        container.record = *loaded;
        m_containers.emplace(name, std::move(owned));

        const RuntimeState runtime = runtimeStates.value(name);
        if (runtime.status == QStringLiteral("running") || runtime.status == QStringLiteral("paused")) {
            watchExit(container, runtime.pid);
            const ContainerState state
                = runtime.status == QStringLiteral("paused") ? ContainerState::Paused : ContainerState::Running;
            if (state != container.record.state)
                setState(container, state);
            if (!container.record.spec.tty)
                m_logTimer.start();
            Log::containers()->info("container {} is {} again (pid {})", name, runtime.status, runtime.pid);
            continue;
        }
        // Not running: whatever the runtime still holds of it (created, stopped) goes.
        if (!runtime.id.isEmpty())
            co_await m_runtime.remove(name, true);
        OverlayMount::unmount(bundlePath(name) + QStringLiteral("/rootfs"));
        // It ended while the helper was away (its status unknown), or was waiting for a restart.
        if (container.record.state == ContainerState::Restarting)
            setState(container, ContainerState::Stopped, container.record.exitCode);
        else if (container.record.state != ContainerState::Stopped && container.record.state != ContainerState::Failed)
            setState(container, ContainerState::Stopped, -1);
    }

    // Bundles and runtime containers without a record were being created when the helper died.
    QStringList orphans;
    for (const QString &dir :
         QDir(m_options.stateDir + QStringLiteral("/containers")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (!find(dir))
            orphans << dir;
    }
    for (auto it = runtimeStates.cbegin(); it != runtimeStates.cend(); ++it) {
        if (!find(it.key()) && !orphans.contains(it.key()))
            orphans << it.key();
    }
    // Cgroups under our parent that no live container owns.
    const ContainerCgroup parent(m_options.cgroupVersion, m_options.cgroupParent);
    const QString parentDir = parent.directory(parent.isV2() ? QString() : QStringLiteral("pids"));
    for (const QString &dir : QDir(parentDir).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        const Container *container = find(dir);
        if ((!container || container->pid == 0) && !orphans.contains(dir) && isValidInstanceName(dir))
            orphans << dir;
    }
    for (const QString &name : std::as_const(orphans))
        co_await removeOrphan(name);
    // What the network holds for containers that no longer run (they ended while the helper was
    // away, or their creation never finished) goes; a running one keeps its address and rules.
    if (m_options.network) {
        QSet<QString> live;
        for (const auto &[name, container] : m_containers) {
            if (container->pid != 0)
                live.insert(name);
        }
        co_await m_options.network->reconcile(QStringLiteral("container"), live);
    }
}

QCoro::Task<> ContainerBackend::removeOrphan(QString name)
{
    Log::containers()->warn("removing what is left of container {} (its creation never finished)", name);
    co_await m_runtime.remove(name, true);
    if (find(name)) {
        // A known, stopped container: only its stray cgroup goes.
        cgroupOf(name).remove();
        co_return;
    }
    const QString bundle = bundlePath(name);
    if (Status unmounted = OverlayMount::unmount(bundle + QStringLiteral("/rootfs")); !unmounted)
        Log::containers()->error("{}", unmounted.error().message);
    if (Status removed = cgroupOf(name).remove(); !removed)
        Log::containers()->error("{}", removed.error().message);
    IdmappedMount::detachLeftovers(bundle + QStringLiteral("/l"));
    if (isValidInstanceName(name) && !removeTree(bundle))
        Log::containers()->error("cannot remove {}", bundle);
    QFile::remove(m_options.runDir + QStringLiteral("/console/") + name + QStringLiteral(".sock"));
}

} // namespace Hamlet::Containers
