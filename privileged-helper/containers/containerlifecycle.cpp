// ContainerBackend: the verbs on an existing container (Instance1's methods).
#include "containerbackend.h"

#include "exitwatcher.h"
#include "failpoints.h"
#include "idmappedmount.h"
#include "logging.h"
#include "overlaymount.h"

#include <QFile>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace Hamlet::Containers {

namespace {

ErrorReply notFound(const QString &name)
{
    return ErrorReply {Error::NotFound, QStringLiteral("there is no container \"%1\"").arg(name)};
}

ErrorReply busy(const QString &name)
{
    return ErrorReply {Error::Busy,
                       QStringLiteral("container \"%1\" is busy with another operation: try again when it "
                                      "is done")
                           .arg(name)};
}

ErrorReply notRunning(const QString &name)
{
    return failed(QStringLiteral("container \"%1\" is not running: start it first").arg(name));
}

bool isLive(ContainerState state)
{
    return state == ContainerState::Running || state == ContainerState::Paused;
}

} // namespace

QCoro::Task<Status> ContainerBackend::start(QString name)
{
    Container *container = co_await settled(name);
    if (!container)
        co_return notFound(name);
    if (container->busy)
        co_return busy(name);
    if (isLive(container->record.state))
        co_return success();
    const BusyGuard guard(*container);
    container->record.stoppedByUser = false;
    container->record.startedAt = {};
    resetRestarts(*container);
    const Status launched = co_await launch(*container);
    if (!launched)
        setState(*container, ContainerState::Failed, -1, launched.error().message);
    co_return launched;
}

QCoro::Task<Status> ContainerBackend::stop(QString name, bool force)
{
    Container *container = co_await settled(name);
    if (!container)
        co_return notFound(name);
    if (container->busy)
        co_return busy(name);
    if (container->record.state == ContainerState::Restarting) {
        // Waiting for its next restart: none comes, the person's Stop stands.
        resetRestarts(*container);
        container->record.stoppedByUser = true;
        setState(*container, ContainerState::Stopped, container->record.exitCode);
        co_return success();
    }
    if (!isLive(container->record.state))
        co_return success();
    const BusyGuard guard(*container);
    container->record.stoppedByUser = true;
    // A frozen process cannot act on SIGTERM (nor die of SIGKILL) until thawed.
    if (container->record.state == ContainerState::Paused)
        co_await m_runtime.resume(name);
    if (!force) {
        co_await m_runtime.kill(name, SIGTERM);
        co_await waitForExit(name, m_options.stopTimeout);
    }
    if (container->pid != 0) {
        // PID 1 of a pid namespace ignores SIGTERM unless it handles it (sleep does not): kill.
        co_await m_runtime.kill(name, SIGKILL);
        if (Status exited = co_await waitForExit(name, std::chrono::seconds(10)); !exited)
            co_return exited;
    }
    co_await m_runtime.remove(name, true);
    OverlayMount::unmount(bundlePath(name) + QStringLiteral("/rootfs"));
    co_await releaseNetwork(name);
    co_return success();
}

QCoro::Task<Status> ContainerBackend::restart(QString name)
{
    if (Status stopped = co_await stop(name, false); !stopped)
        co_return stopped;
    co_return co_await start(name);
}

QCoro::Task<Status> ContainerBackend::pause(QString name)
{
    Container *container = co_await settled(name);
    if (!container)
        co_return notFound(name);
    if (container->busy)
        co_return busy(name);
    if (container->record.state == ContainerState::Paused)
        co_return success();
    if (container->record.state != ContainerState::Running)
        co_return notRunning(name);
    const BusyGuard guard(*container);
    if (Status paused = co_await m_runtime.pause(name); !paused)
        co_return paused;
    setState(*container, ContainerState::Paused);
    co_return success();
}

QCoro::Task<Status> ContainerBackend::resume(QString name)
{
    Container *container = co_await settled(name);
    if (!container)
        co_return notFound(name);
    if (container->busy)
        co_return busy(name);
    if (container->record.state == ContainerState::Running)
        co_return success();
    if (container->record.state != ContainerState::Paused)
        co_return notRunning(name);
    const BusyGuard guard(*container);
    if (Status resumed = co_await m_runtime.resume(name); !resumed)
        co_return resumed;
    setState(*container, ContainerState::Running);
    co_return success();
}

QCoro::Task<Status> ContainerBackend::remove(QString name)
{
    Container *container = co_await settled(name);
    if (!container)
        co_return notFound(name);
    if (container->busy)
        co_return busy(name);
    {
        const BusyGuard guard(*container);
        // --force kills (and thaws) whatever runs; then wait to reap init so no zombie stays.
        const Status deleted = co_await m_runtime.remove(name, true);
        if (!deleted && deleted.error().name != Error::NotFound)
            co_return deleted;
        if (Status exited = co_await waitForExit(name, std::chrono::seconds(10)); !exited)
            co_return exited;
        co_await releaseNetwork(name);
        const QString bundle = bundlePath(name);
        if (Status unmounted = OverlayMount::unmount(bundle + QStringLiteral("/rootfs")); !unmounted)
            co_return unmounted;
        if (Status cgroupGone = cgroupOf(name).remove(); !cgroupGone)
            co_return cgroupGone;
        if (std::optional<ErrorReply> failPoint = FailPoints::hit(FailPoints::ContainerDeleteHalfway))
            co_return *failPoint;
        IdmappedMount::detachLeftovers(bundle + QStringLiteral("/l")); // a crash's, mid-mount
        if (!removeTree(bundle))
            co_return failed(QStringLiteral("cannot remove %1: see the helper's log").arg(bundle));
        if (!QFile::remove(recordPath(name)) && QFile::exists(recordPath(name)))
            co_return failed(QStringLiteral("cannot remove %1").arg(recordPath(name)));
        delete container->watcher;
        container->watcher = nullptr;
    }
    m_containers.erase(name);
    Log::containers()->info("container {} removed", name);
    Q_EMIT containerRemoved(name);
    co_return success();
}

QCoro::Task<Result<ExecResult>> ContainerBackend::exec(QString name, QStringList argv)
{
    const Container *container = find(name);
    if (!container)
        co_return notFound(name);
    if (container->record.state != ContainerState::Running)
        co_return notRunning(name);
    co_return co_await m_runtime.exec(name, argv);
}

Status ContainerBackend::setLimits(const QString &name, const ContainerLimits &limits)
{
    Container *container = find(name);
    if (!container)
        return notFound(name);
    if (isLive(container->record.state)) {
        if (Status applied = cgroupOf(name).setLimits(limits); !applied)
            return applied;
    }
    ContainerSpec &spec = container->record.spec;
    spec.cpus = limits.cpus.value_or(spec.cpus);
    spec.memory = limits.memory.value_or(spec.memory);
    spec.pids = limits.pids.value_or(spec.pids);
    return container->record.save(recordPath(name));
}

Status ContainerBackend::setPorts(const QString &name, const QList<Network::PortMapping> &ports)
{
    Container *container = find(name);
    if (!container)
        return notFound(name);
    if (isLive(container->record.state)) // its portmap rules are made at start, from the record
        return ErrorReply {Error::Busy, QStringLiteral("%1 is running: stop it first.").arg(name)};
    container->record.spec.ports = ports;
    return container->record.save(recordPath(name));
}

Result<CgroupStats> ContainerBackend::stats(const QString &name) const
{
    const Container *container = find(name);
    if (!container)
        return notFound(name);
    if (!isLive(container->record.state))
        return notRunning(name);
    return cgroupOf(name).stats();
}

Result<CgroupStats> ContainerBackend::counters(const QString &name) const
{
    const Container *container = find(name);
    if (!container)
        return notFound(name);
    if (!isLive(container->record.state))
        return notRunning(name);
    return cgroupOf(name).counters();
}

Result<UniqueFd> ContainerBackend::openConsole(const QString &name) const
{
    const Container *container = find(name);
    if (!container)
        return notFound(name);
    if (!container->record.spec.tty)
        return ErrorReply {Error::Unsupported,
                           QStringLiteral("container \"%1\" has no terminal (it was created without "
                                          "tty): read its log instead")
                               .arg(name)};
    if (!isLive(container->record.state))
        return notRunning(name);
    if (!container->consoleMaster.valid())
        return failed(QStringLiteral("the terminal of container \"%1\" was lost when the helper restarted: restart the "
                                     "container to get a new one")
                          .arg(name));
    UniqueFd copy(::fcntl(container->consoleMaster.get(), F_DUPFD_CLOEXEC, 0));
    if (!copy.valid())
        return failed(errnoMessage(QStringLiteral("cannot duplicate the terminal of"), name, errno));
    return copy;
}

void ContainerBackend::enforceLogLimits()
{
    bool anyRunning = false;
    for (const auto &[name, container] : m_containers) {
        if (container->record.spec.tty || !isLive(container->record.state))
            continue;
        anyRunning = true;
        capLogFile(logPath(name), m_options.logLimitBytes);
    }
    if (!anyRunning)
        m_logTimer.stop();
}

} // namespace Hamlet::Containers
