#include "containerinstances.h"

#include "errors.h"
#include "job.h"
#include "logging.h"
#include "portpolicy.h"

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

// The built-in image is the default, so a container can be made with no image named at all; and
// a new container is on the Hamlet network unless it asks otherwise.
QVariantMap withDefaults(QVariantMap spec)
{
    if (!spec.contains(QStringLiteral("image")))
        spec.insert(QStringLiteral("image"), QStringLiteral("busybox"));
    if (!spec.contains(QStringLiteral("network")))
        spec.insert(QStringLiteral("network"), QStringLiteral("nat"));
    return spec;
}

InstanceInfo toInstanceInfo(const Containers::ContainerInfo &info)
{
    InstanceInfo instance {info.spec.name,
                           QStringLiteral("container"),
                           Containers::toString(info.state),
                           info.exitCode,
                           info.spec.toVariantMap(),
                           msSinceEpoch(info.createdAt),
                           msSinceEpoch(info.startedAt),
                           info.error,
                           {},
                           info.spec.ownerUid};
    instance.restartCount = static_cast<uint>(info.restartCount);
    instance.firstRestartAtMs = msSinceEpoch(info.firstRestartAt);
    instance.lastRestartAtMs = msSinceEpoch(info.lastRestartAt);
    return instance;
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
    connect(&m_backend, &Containers::ContainerBackend::execExited, this,
            [this](const QString &name, qint64 pid, int exitCode) {
                Q_EMIT execExited(name, static_cast<uint>(pid), exitCode);
            });
}

std::optional<InstanceInfo> ContainerInstances::find(const QString &name) const
{
    const std::optional<Containers::ContainerInfo> info = m_backend.info(name);
    if (!info)
        return std::nullopt;
    InstanceInfo instance = toInstanceInfo(*info);
    instance.addresses = m_backend.addresses(name);
    return instance;
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

QCoro::Task<Outcome> ContainerInstances::validate(QString name, QVariantMap spec, Caller caller)
{
    const Containers::Result<Containers::ContainerSpec> checked = m_backend.validate(name, withDefaults(spec));
    if (!checked.ok())
        co_return checked.error();
    const Containers::ContainerSpec &wanted = checked.value();
    const Network::Network *network = m_backend.options().network;
    if (wanted.network == QLatin1String("nat") && (!network || !network->available()))
        co_return ErrorReply {Error::Unsupported,
                              QStringLiteral("The Hamlet network is unavailable on this host (%1): create the "
                                             "container with network \"none\".")
                                  .arg(network ? network->unavailableReason() : QStringLiteral("not set up"))};
    if (const Outcome problem = portsProblem(name, wanted.ports))
        co_return problem;
    // More than the plain create check: the host's network, and host ports only root may bind.
    QMap<QString, QString> details;
    if (wanted.network == QLatin1String("host"))
        details.insert(QStringLiteral("network"), QStringLiteral("host"));
    if (const QStringList privileged = Network::privilegedPorts(wanted.ports); !privileged.isEmpty())
        details.insert(QStringLiteral("privilegedPorts"), privileged.join(QLatin1Char(',')));
    // Root in such a container is root on the host.
    if (wanted.userns == QLatin1String("host"))
        details.insert(QStringLiteral("userns"), QStringLiteral("host"));
    if (!details.isEmpty()) {
        if (!m_authorizer)
            co_return ErrorReply {Error::NotAuthorized, QStringLiteral("This helper cannot ask polkit.")};
        details.insert(QStringLiteral("verb"), QStringLiteral("CreateContainer"));
        details.insert(QStringLiteral("name"), name);
        const Authorizer::Decision decision
            = co_await m_authorizer->check(caller.busName, QStringLiteral("dev.hamlet.create"), details,
                                           caller.mayPrompt ? Authorizer::AllowInteraction : Authorizer::NoInteraction);
        if (!decision.allowed)
            co_return ErrorReply {
                Error::NotAuthorized,
                details.contains(QStringLiteral("userns"))
                    ? QStringLiteral("You may not run a container in the host's user namespace, where its root is root "
                                     "on the host (%1); use userns \"auto\".")
                          .arg(decision.reason)
                    : details.contains(QStringLiteral("network"))
                    ? QStringLiteral("You may not give a container the host's network (%1); use network \"nat\".")
                          .arg(decision.reason)
                    : QStringLiteral("You may not publish the privileged host ports %1 (%2): use ports of 1024 or "
                                     "above.")
                          .arg(details.value(QStringLiteral("privilegedPorts")), decision.reason)};
    }
    co_return std::nullopt;
}

Outcome ContainerInstances::portsProblem(const QString &name, const QList<Network::PortMapping> &ports) const
{
    // Against the VMs' ports too (the network's attachments): one check for both kinds.
    return portsTaken(name, ports, m_backend.options().network, &m_backend);
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
    announceStart(name, checked.value().tty, true);
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
    // A port published at create may have been taken by another program since.
    const std::optional<Containers::ContainerInfo> info = m_backend.info(name);
    const bool stopped = info && info->state != Containers::ContainerState::Running
        && info->state != Containers::ContainerState::Paused;
    if (stopped && !info->spec.ports.isEmpty()) {
        if (const Containers::Status free = Network::checkHostPortsFree(info->spec.ports); !free.ok())
            co_return free.error();
    }
    if (stopped)
        announceStart(name, info->spec.tty, false);
    co_return outcomeOf(co_await m_backend.start(name));
}

void ContainerInstances::announceStart(const QString &name, bool tty, bool creating)
{
    if (tty)
        Q_EMIT startBegins(name, creating, {},
                           QStringLiteral("a container with a terminal keeps no log: its output goes to the "
                                          "terminal only"));
    else
        Q_EMIT startBegins(name, creating, m_backend.logPath(name), {});
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

QCoro::Task<Outcome> ContainerInstances::setPorts(QString name, QVariant value, Caller caller)
{
    const std::optional<Containers::ContainerInfo> info = m_backend.info(name);
    if (!info)
        co_return ErrorReply {Error::NotFound, QStringLiteral("There is no container named '%1'.").arg(name)};
    if (info->state == Containers::ContainerState::Running || info->state == Containers::ContainerState::Paused)
        co_return ErrorReply {Error::Busy,
                              QStringLiteral("%1 is running: stop it, then change its published ports.").arg(name)};
    const Containers::Result<QList<Network::PortMapping>> ports = Network::parsePorts(value);
    if (!ports)
        co_return ports.error();
    if (!ports->isEmpty() && info->spec.network != QLatin1String("nat"))
        co_return ErrorReply {Error::InvalidArgument,
                              QStringLiteral("%1 has network \"%2\": ports can be published only on \"nat\".")
                                  .arg(name, info->spec.network)};
    if (const Outcome taken = portsProblem(name, *ports))
        co_return taken;
    // Ports below 1024 are asked as at create (dev.hamlet.create + privilegedPorts), so a rule
    // that refuses them there is not bypassed by a create without ports and a SetPorts.
    const QString action = QStringLiteral("dev.hamlet.create"); // named: GCC 12 and co_await
    const QString verb = QStringLiteral("SetPorts");
    if (const Outcome denied = co_await privilegedPortsAllowed(m_authorizer, caller, action, verb, name, *ports))
        co_return denied;
    co_return outcomeOf(m_backend.setPorts(name, *ports));
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

QCoro::Task<Expected<ExecStarted>> ContainerInstances::exec(QString name, QStringList argv, QVariantMap options)
{
    static const QStringList known {QStringLiteral("tty"), QStringLiteral("rows"), QStringLiteral("columns")};
    for (auto it = options.cbegin(); it != options.cend(); ++it) {
        if (!known.contains(it.key()))
            co_return ErrorReply {
                Error::InvalidArgument,
                QStringLiteral("Unknown Exec option \"%1\": use tty, rows or columns.").arg(it.key())};
    }
    // Pipes without a terminal (tty=false) are not offered yet: a shell, the GUI's and hamletctl's
    // use, needs the terminal anyway.
    if (!options.value(QStringLiteral("tty"), true).toBool())
        co_return ErrorReply {Error::Unsupported,
                              QStringLiteral("Exec without a terminal (tty=false) is not supported yet: leave tty "
                                             "out or set it to true.")};
    const int rows = options.value(QStringLiteral("rows"), 0).toInt();
    const int columns = options.value(QStringLiteral("columns"), 0).toInt();
    Containers::Result<Containers::ContainerBackend::TerminalSession> session
        = co_await m_backend.execTerminal(name, argv, rows, columns);
    if (!session.ok())
        co_return session.error();
    co_return ExecStarted {QDBusUnixFileDescriptor(session->master.get()), static_cast<uint>(session->pid)};
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
        QVariantMap values {{QStringLiteral("cpuNs"), QVariant::fromValue<qulonglong>(counters->cpuUsageNs)},
                            {QStringLiteral("cpuLimitCores"), info->spec.cpus},
                            {QStringLiteral("memoryBytes"), QVariant::fromValue<qulonglong>(counters->memoryUsage)},
                            {QStringLiteral("memoryLimitBytes"), QVariant::fromValue<qulonglong>(info->spec.memory)},
                            {QStringLiteral("pids"), QVariant::fromValue<qulonglong>(counters->pids)},
                            {QStringLiteral("pidsLimit"), QVariant::fromValue<qulonglong>(info->spec.effectivePids())},
                            {QStringLiteral("state"), Containers::toString(info->state)}};
        // Only where measured (a NAT container's veth): absent means unknown, never 0.
        if (const std::optional<Network::NetCounters> net = m_backend.netCounters(name)) {
            values.insert(QStringLiteral("netRxBytes"), QVariant::fromValue<qulonglong>(net->rxBytes));
            values.insert(QStringLiteral("netTxBytes"), QVariant::fromValue<qulonglong>(net->txBytes));
        }
        batch.append({name, values});
    }
    return batch;
}

} // namespace Hamlet
