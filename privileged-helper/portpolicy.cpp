#include "portpolicy.h"

namespace Hamlet {

Outcome portsTaken(const QString &name, const QList<Network::PortMapping> &ports, const Network::Network *network,
                   const Containers::ContainerBackend *containers)
{
    for (const Network::PortMapping &mine : ports) {
        QString owner = network ? network->portOwner(mine, name) : QString();
        for (const QString &other : containers &&owner.isEmpty() ? containers->names() : QStringList()) {
            const std::optional<Containers::ContainerInfo> info = containers->info(other);
            if (!info || other == name)
                continue;
            for (const Network::PortMapping &theirs : info->spec.ports) {
                if (mine.hostPort == theirs.hostPort && mine.protocol == theirs.protocol)
                    owner = other;
            }
        }
        if (!owner.isEmpty())
            return ErrorReply {Error::Busy,
                               QStringLiteral("Host port %1/%2 is published by %3 already: choose another host port.")
                                   .arg(mine.hostPort)
                                   .arg(mine.protocol, owner)};
    }
    const Containers::Status free = Network::checkHostPortsFree(ports);
    if (!free.ok())
        return free.error();
    return std::nullopt;
}

QCoro::Task<Outcome> privilegedPortsAllowed(Authorizer *authorizer, Caller caller, QString action, QString verb,
                                            QString name, QList<Network::PortMapping> ports)
{
    const QStringList privileged = Network::privilegedPorts(ports);
    if (privileged.isEmpty())
        co_return std::nullopt;
    if (!authorizer)
        co_return ErrorReply {Error::NotAuthorized, QStringLiteral("This helper cannot ask polkit.")};
    const QMap<QString, QString> details {{QStringLiteral("verb"), verb},
                                          {QStringLiteral("name"), name},
                                          {QStringLiteral("privilegedPorts"), privileged.join(QLatin1Char(','))}};
    const Authorizer::Decision decision = co_await authorizer->check(
        caller.busName, action, details, caller.mayPrompt ? Authorizer::AllowInteraction : Authorizer::NoInteraction);
    if (!decision.allowed)
        co_return ErrorReply {Error::NotAuthorized,
                              QStringLiteral("You may not publish the privileged host ports %1 (%2): use ports of "
                                             "1024 or above.")
                                  .arg(privileged.join(QLatin1Char(',')), decision.reason)};
    co_return std::nullopt;
}

} // namespace Hamlet
