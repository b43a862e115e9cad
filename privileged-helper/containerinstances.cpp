#include "containerinstances.h"

#include "errors.h"
#include "job.h"
#include "logging.h"

#include <QFile>

#include <cstring>

#include <fcntl.h>

namespace Hamlet {

namespace {
Outcome outcomeOf(const Containers::Status &status)
{
    if (status.ok())
        return std::nullopt;
    return status.error();
}

qulonglong msSinceEpoch(const QDateTime &time)
{
    return time.isValid() ? static_cast<qulonglong>(time.toMSecsSinceEpoch()) : 0;
}

// The built-in image is the default, so a container can be made with no image named at all.
QVariantMap withDefaults(QVariantMap spec)
{
    if (!spec.contains(QStringLiteral("image")))
        spec.insert(QStringLiteral("image"), QStringLiteral("busybox"));
    return spec;
}

InstanceInfo toInstanceInfo(const Containers::ContainerInfo &info)
{
    return {info.spec.name,           QStringLiteral("container"),  Containers::toString(info.state), info.exitCode,
            info.spec.toVariantMap(), msSinceEpoch(info.createdAt), msSinceEpoch(info.startedAt),     info.error,
            info.spec.ownerUid};
}
} // namespace

ContainerInstances::ContainerInstances(Containers::ContainerBackend::Options options, QObject *parent)
    : InstanceBackend(parent)
    , m_backend(std::move(options))
{
    connect(&m_backend, &Containers::ContainerBackend::stateChanged, this,
            [this](const QString &name, const QString &state, int exitCode) {
                const std::optional<Containers::ContainerInfo> info = m_backend.info(name);
                Q_EMIT stateChanged(name, state, exitCode, info ? msSinceEpoch(info->startedAt) : 0);
            });
}

std::optional<InstanceInfo> ContainerInstances::find(const QString &name) const
{
    const std::optional<Containers::ContainerInfo> info = m_backend.info(name);
    if (!info)
        return std::nullopt;
    return toInstanceInfo(*info);
}

QCoro::Task<QList<InstanceInfo>> ContainerInstances::recover()
{
    const Containers::Status ready = co_await m_backend.initialize();
    if (!ready.ok())
        Log::containers()->error("containers are unavailable: {}", ready.error().message);
    QList<InstanceInfo> found;
    for (const QString &name : m_backend.names()) {
        if (std::optional<InstanceInfo> info = find(name))
            found << *info;
    }
    co_return found;
}

QCoro::Task<Outcome> ContainerInstances::validate(QString name, QVariantMap spec, Caller)
{
    const Containers::Result<Containers::ContainerSpec> checked = m_backend.validate(name, withDefaults(spec));
    if (!checked.ok())
        co_return checked.error();
    co_return std::nullopt;
}

QCoro::Task<Expected<InstanceInfo>> ContainerInstances::create(QString name, QVariantMap spec, Caller caller, Job *job)
{
    Containers::Result<Containers::ContainerSpec> checked = m_backend.validate(name, withDefaults(spec));
    if (!checked.ok())
        co_return checked.error();
    checked.value().ownerUid = caller.uid;
    if (job->isCancelled())
        co_return ErrorReply {Error::Failed, QStringLiteral("Creating %1 was cancelled.").arg(name)};
    job->setFraction(0.1);
    const Containers::Status created = co_await m_backend.create(checked.value());
    if (!created.ok())
        co_return created.error();
    if (job->isCancelled()) { // too late to stop the create: undo it
        co_await m_backend.remove(name);
        co_return ErrorReply {Error::Failed, QStringLiteral("Creating %1 was cancelled.").arg(name)};
    }
    std::optional<InstanceInfo> info = find(name);
    if (!info)
        co_return ErrorReply {Error::Failed,
                              QStringLiteral("The container %1 vanished while it was created.").arg(name)};
    co_return *info;
}

QCoro::Task<Outcome> ContainerInstances::start(QString name)
{
    co_return outcomeOf(co_await m_backend.start(name));
}

QCoro::Task<Outcome> ContainerInstances::stop(QString name, bool force)
{
    co_return outcomeOf(co_await m_backend.stop(name, force));
}

QCoro::Task<Outcome> ContainerInstances::pause(QString name)
{
    co_return outcomeOf(co_await m_backend.pause(name));
}

QCoro::Task<Outcome> ContainerInstances::resume(QString name)
{
    co_return outcomeOf(co_await m_backend.resume(name));
}

QCoro::Task<Outcome> ContainerInstances::remove(QString name)
{
    co_return outcomeOf(co_await m_backend.remove(name));
}

QCoro::Task<Expected<QString>> ContainerInstances::setLimits(QString name, QVariantMap limits)
{
    const std::optional<Containers::ContainerInfo> info = m_backend.info(name);
    const Containers::Result<Containers::ContainerLimits> parsed
        = Containers::ContainerLimits::fromVariantMap(limits, m_backend.options().hostCpus);
    if (!parsed.ok())
        co_return parsed.error();
    const Containers::Status applied = m_backend.setLimits(name, parsed.value());
    if (!applied.ok())
        co_return applied.error();
    const bool live = info && info->state == Containers::ContainerState::Running;
    co_return live ? QStringLiteral("Applied now and kept for the next start.")
                   : QStringLiteral("Kept for the next start.");
}

QCoro::Task<Expected<QVariantMap>> ContainerInstances::inspect(QString name)
{
    const Containers::Result<QVariantMap> parts = m_backend.inspect(name);
    if (!parts.ok())
        co_return parts.error();
    co_return parts.value();
}

QCoro::Task<Expected<QDBusUnixFileDescriptor>> ContainerInstances::openConsole(QString name)
{
    const std::optional<Containers::ContainerInfo> info = m_backend.info(name);
    if (!info)
        co_return ErrorReply {Error::NotFound, QStringLiteral("There is no container named '%1'.").arg(name)};
    if (info->spec.tty) {
        const Containers::Result<Containers::UniqueFd> pty = m_backend.openConsole(name);
        if (!pty.ok())
            co_return pty.error();
        co_return QDBusUnixFileDescriptor(pty.value().get()); // duplicates; ours closes on return
    }
    // Without a tty the console is the container's log, read from the start and followed.
    const QString log = m_backend.logPath(name);
    const int fd = ::open(QFile::encodeName(log).constData(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        co_return ErrorReply {Error::Failed,
                              QStringLiteral("The log of %1 cannot be opened (%2): %3")
                                  .arg(name, log, QString::fromLocal8Bit(std::strerror(errno)))};
    QDBusUnixFileDescriptor descriptor(fd);
    ::close(fd);
    co_return descriptor;
}

QCoro::Task<Expected<QDBusUnixFileDescriptor>> ContainerInstances::openDisplay(QString name)
{
    co_return ErrorReply {Error::Unsupported,
                          QStringLiteral("%1 is a container: containers have a console, not a display.").arg(name)};
}

QCoro::Task<SampleBatch> ContainerInstances::sample()
{
    co_return sampleNow();
}

SampleBatch ContainerInstances::sampleNow()
{
    SampleBatch batch;
    const QStringList names = m_backend.names();
    batch.reserve(names.size());
    for (const QString &name : names) {
        const std::optional<Containers::ContainerInfo> info = m_backend.info(name);
        if (!info
            || (info->state != Containers::ContainerState::Running
                && info->state != Containers::ContainerState::Paused))
            continue;
        const Containers::Result<Containers::CgroupStats> counters = m_backend.counters(name);
        if (!counters.ok())
            continue;
        // Limits as set (the spec); Inspect reads them back from the cgroup.
        batch.append({name,
                      {{QStringLiteral("cpuNs"), QVariant::fromValue<qulonglong>(counters->cpuUsageNs)},
                       {QStringLiteral("cpuLimitCores"), info->spec.cpus},
                       {QStringLiteral("memoryBytes"), QVariant::fromValue<qulonglong>(counters->memoryUsage)},
                       {QStringLiteral("memoryLimitBytes"), QVariant::fromValue<qulonglong>(info->spec.memory)},
                       {QStringLiteral("pids"), QVariant::fromValue<qulonglong>(counters->pids)},
                       {QStringLiteral("pidsLimit"), QVariant::fromValue<qulonglong>(info->spec.effectivePids())},
                       {QStringLiteral("state"), Containers::toString(info->state)}}});
    }
    return batch;
}

} // namespace Hamlet
