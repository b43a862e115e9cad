// VMs' published ports: the spec key "ports" and its checks, as for containers
// (portpolicy.h); the DNAT rules are the network's (portmap run for the VM's reserved address),
// made at create with the reservation and kept as long as it.
#include "portpolicy.h"
#include "vminstances.h"

namespace Hamlet {

Expected<QList<Network::PortMapping>> VmInstances::takePorts(QVariantMap &map)
{
    const QVariant value = map.take(QStringLiteral("ports"));
    if (!value.isValid())
        return QList<Network::PortMapping> {};
    Containers::Result<QList<Network::PortMapping>> parsed = Network::parsePorts(value);
    if (!parsed)
        return parsed.error();
    return *parsed;
}

QCoro::Task<Outcome> VmInstances::portsProblem(QString name, QList<Network::PortMapping> ports, Caller caller,
                                               QString action, QString verb)
{
    if (ports.isEmpty())
        co_return std::nullopt;
    if (const Outcome taken = portsTaken(name, ports, m_network, m_images))
        co_return taken;
    co_return co_await privilegedPortsAllowed(m_authorizer, caller, action, verb, name, ports);
}

QCoro::Task<Outcome> VmInstances::setPorts(QString name, QVariant value, Caller caller)
{
    const auto known = m_known.find(name);
    if (known == m_known.end())
        co_return ErrorReply {Error::NotFound, QStringLiteral("There is no VM named '%1'.").arg(name)};
    if (known->state == QLatin1String("running") || known->state == QLatin1String("paused"))
        co_return ErrorReply {Error::Busy,
                              QStringLiteral("%1 is running: stop it, then change its published ports.").arg(name)};
    const Containers::Result<QList<Network::PortMapping>> ports = Network::parsePorts(value);
    if (!ports)
        co_return ports.error();
    const std::optional<Network::Attachment> attachment = m_network ? m_network->attachment(name) : std::nullopt;
    if (!attachment || attachment->kind != QLatin1String("vm")) {
        if (ports->isEmpty())
            co_return std::nullopt;
        co_return ErrorReply {Error::InvalidArgument,
                              QStringLiteral("%1 is not on the Hamlet network: ports can be published only with "
                                             "network \"nat\".")
                                  .arg(name)};
    }
    // Ports below 1024 are asked as at create (dev.hamlet.create + privilegedPorts), so a rule
    // that refuses them there is not bypassed by a create without ports and a SetPorts.
    const QString action = QStringLiteral("dev.hamlet.create"); // named: GCC 12 and co_await
    const QString verb = QStringLiteral("SetPorts");
    if (const Outcome problem = co_await portsProblem(name, *ports, caller, action, verb))
        co_return problem;
    if (const Containers::Status set = co_await m_network->setVmPorts(name, *ports); !set.ok())
        co_return set.error();
    QList<QVariantMap> maps;
    for (const Network::PortMapping &port : *ports)
        maps << port.toVariantMap();
    // Found again: the hash may have changed while the rules were made.
    if (const auto again = m_known.find(name); again != m_known.end())
        again->spec.insert(QStringLiteral("ports"), QVariant::fromValue(maps));
    co_return std::nullopt;
}

QList<Network::PortMapping> VmInstances::portsOf(const QString &name) const
{
    if (!m_network)
        return {};
    const std::optional<Network::Attachment> attachment = m_network->attachment(name);
    return attachment && attachment->kind == QLatin1String("vm") ? attachment->ports : QList<Network::PortMapping> {};
}

} // namespace Hamlet
