// ContainerBackend: the network of a container. "nat" joins a namespace that the Hamlet network
// set up on its bridge before the container's first process; "host" shares the host's; "none"
// gets a new namespace with only a loopback (the runtime makes it).
#include "containerbackend.h"

#include "fsutil.h"
#include "idmappedmount.h"
#include "logging.h"

#include <QFile>

namespace Hamlet::Containers {

QCoro::Task<Status> ContainerBackend::prepareNetwork(Container &container, OciConfig::HostFacts &facts)
{
    const ContainerSpec &spec = container.record.spec;
    const QString bundle = bundlePath(spec.name);
    const QString hostsFile = bundle + QStringLiteral("/hosts");
    const QString resolvFile = bundle + QStringLiteral("/resolv.conf");
    if (spec.network == QLatin1String("host")) {
        // Copies, so that the container cannot write the host's files; its own name added. Readable
        // by every uid: the image's user may not be root.
        QByteArray hosts = readSmallFile(QStringLiteral("/etc/hosts"));
        hosts += "\n127.0.1.1\t" + spec.effectiveHostname().toUtf8() + '\n';
        if (Status written = writeFileAtomically(hostsFile, hosts, 0644); !written)
            co_return written;
        if (Status written = writeFileAtomically(resolvFile, readSmallFile(QStringLiteral("/etc/resolv.conf")), 0644);
            !written)
            co_return written;
        facts.hostsFile = hostsFile;
        facts.resolvFile = resolvFile;
        co_return success();
    }
    if (spec.network != QLatin1String("nat"))
        co_return success();
    Network::Network *network = m_options.network;
    if (!network)
        co_return ErrorReply {Error::Unsupported,
                              QStringLiteral("this helper has no network: create the container with network \"none\"")};
    if (container.record.idMap) {
        // Its network namespace is made inside its user namespace, so that its root administers
        // its own network (ports below 1024, a sysfs of its own) and the runtime can enter both
        // (runc joins the user namespace first, then cannot enter one of the host's). The network
        // configures the namespace it finds pinned there; a stale attachment would replace it.
        co_await network->detach(spec.name);
        if (Status pinned = IdmappedMount::pinNamespaces(*container.record.idMap, usernsPath(spec.name),
                                                         network->netnsPath(spec.name));
            !pinned)
            co_return pinned;
        facts.usernsPath = usernsPath(spec.name);
    }
    const QList<Network::PortMapping> ports = spec.ports;
    const Result<Network::Attachment> attached = co_await network->attachContainer(spec.name, ports);
    if (!attached) {
        IdmappedMount::unpin(usernsPath(spec.name));
        co_return attached.error();
    }
    Status written = writeFileAtomically(hostsFile, network->hostsFileFor(spec.name, spec.effectiveHostname()), 0644);
    if (written)
        written = writeFileAtomically(resolvFile, network->resolvConf(), 0644);
    if (!written) {
        co_await releaseNetwork(spec.name);
        co_return written;
    }
    facts.netnsPath = attached->netns;
    facts.hostsFile = hostsFile;
    facts.resolvFile = resolvFile;
    co_return success();
}

QCoro::Task<> ContainerBackend::releaseNetwork(QString name)
{
    if (m_options.network)
        co_await m_options.network->detach(name);
    IdmappedMount::unpin(usernsPath(name));
}

QString ContainerBackend::usernsPath(const QString &name) const
{
    return m_options.runDir + QStringLiteral("/userns/") + name;
}

std::optional<Network::NetCounters> ContainerBackend::netCounters(const QString &name) const
{
    if (!m_options.network)
        return std::nullopt;
    return m_options.network->counters(name);
}

QStringList ContainerBackend::addresses(const QString &name) const
{
    if (!m_options.network)
        return {};
    const std::optional<Network::Attachment> attachment = m_options.network->attachment(name);
    if (!attachment || attachment->address.isEmpty())
        return {};
    return {attachment->address};
}

QVariantMap ContainerBackend::networkParts(const QString &name) const
{
    const Container *container = find(name);
    if (!container)
        return {};
    QVariantMap parts {{QStringLiteral("network"), container->record.spec.network}};
    if (!m_options.network)
        return parts;
    const std::optional<Network::Attachment> attachment = m_options.network->attachment(name);
    if (!attachment)
        return parts;
    parts.insert(QStringLiteral("netns"), attachment->netns);
    parts.insert(QStringLiteral("veth"), attachment->hostInterface);
    parts.insert(QStringLiteral("bridge"), m_options.network->bridge());
    parts.insert(QStringLiteral("mac"), attachment->mac);
    parts.insert(QStringLiteral("address"), attachment->address);
    parts.insert(QStringLiteral("gateway"), m_options.network->gateway());
    parts.insert(QStringLiteral("subnet"), m_options.network->subnet().toString());
    return parts;
}

} // namespace Hamlet::Containers
