// ContainerBackend: the network of a container. "nat" joins a namespace that the Hamlet network
// set up on its bridge before the container's first process; "host" shares the host's; "none"
// gets a new namespace with only a loopback (the runtime makes it).
#include "containerbackend.h"

#include "fsutil.h"
#include "logging.h"

#include <QFile>

#include <fcntl.h>
#include <sched.h>
#include <thread>
#include <unistd.h>

namespace Hamlet::Containers {

namespace {

// The Hamlet network's namespace is made by the helper, so it belongs to the host's user
// namespace: a container with a user namespace of its own has no CAP_NET_BIND_SERVICE over it
// and could not bind ports below 1024, which its root can do with the host's user namespace (the
// capability is in its default set). Ports below 1024 of this namespace are the container's
// alone, so they are opened to every uid of it, as rootless podman does. A thread of its own
// enters the namespace: /proc/sys/net shows the namespace of the thread that opens it.
Status openLowPorts(const QString &netns)
{
    QString problem;
    std::thread worker([&netns, &problem] {
        const UniqueFd ns(::open(QFile::encodeName(netns).constData(), O_RDONLY | O_CLOEXEC));
        if (!ns.valid() || ::setns(ns.get(), CLONE_NEWNET) != 0) {
            problem = errnoMessage(QStringLiteral("cannot enter the network namespace"), netns, errno);
            return;
        }
        const char *path = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
        const UniqueFd file(::open(path, O_WRONLY | O_CLOEXEC));
        if (!file.valid() || ::write(file.get(), "0", 1) != 1)
            problem = errnoMessage(QStringLiteral("cannot write"), QLatin1String(path), errno);
    });
    worker.join();
    if (!problem.isEmpty())
        return failed(problem);
    return success();
}

} // namespace

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
    const QList<Network::PortMapping> ports = spec.ports;
    const Result<Network::Attachment> attached = co_await network->attachContainer(spec.name, ports);
    if (!attached)
        co_return attached.error();
    Status written = writeFileAtomically(hostsFile, network->hostsFileFor(spec.name, spec.effectiveHostname()), 0644);
    if (written)
        written = writeFileAtomically(resolvFile, network->resolvConf(), 0644);
    if (!written) {
        co_await releaseNetwork(spec.name);
        co_return written;
    }
    if (container.record.idMap)
        written = openLowPorts(attached->netns);
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
