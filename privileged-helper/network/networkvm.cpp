// Network: the VMs' side. A VM's NIC is a tap that libvirt makes on the bridge; the helper only
// reserves its address (host-local, the containers' IPAM, run on its own) and tells dnsmasq, which
// hands that address to the MAC by DHCP and serves the VM's name.
#include "network.h"

#include "logging.h"

#include <QFile>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QSet>

namespace Hamlet::Network {

QJsonObject Network::portmapPlugin() const
{
    // snat: connections from the host itself (127.0.0.1:PORT) get the bridge's address as source,
    // so the instance can answer them.
    return {{QStringLiteral("type"), QStringLiteral("portmap")},
            {QStringLiteral("snat"), true},
            {QStringLiteral("capabilities"), QJsonObject {{QStringLiteral("portMappings"), true}}}};
}

QJsonObject Network::vmList(const QList<PortMapping> &ports) const
{
    // host-local on its own reserves the address; portmap, chained after it, DNATs the published
    // ports to that address as it does for a container (it needs only the result's IPs).
    QJsonArray plugins {
        QJsonObject {{QStringLiteral("type"), QStringLiteral("host-local")}, {QStringLiteral("ipam"), ipamConfig()}}};
    if (!ports.isEmpty())
        plugins.append(portmapPlugin());
    return {{QStringLiteral("cniVersion"), QStringLiteral("1.0.0")},
            {QStringLiteral("name"), m_cniName},
            {QStringLiteral("plugins"), plugins}};
}

// portmap alone, for an address host-local reserved before (SetPorts, restart): the recorded
// result stands in for host-local's.
Cni::Call Network::vmPortsCall(const Attachment &attachment) const
{
    Cni::Call call = callFor(attachment);
    call.list.insert(QStringLiteral("plugins"), QJsonArray {portmapPlugin()});
    call.netns = QStringLiteral("/proc/self/ns/net");
    call.prevResult = attachment.result;
    return call;
}

QString Network::newVmMac() const
{
    QSet<QString> taken;
    for (const auto &[name, attachment] : m_attachments)
        taken.insert(attachment.mac.toLower());
    for (;;) {
        const quint32 random = QRandomGenerator::system()->generate() & 0xffffff;
        const QString mac = QStringLiteral("52:54:00:%1:%2:%3")
                                .arg((random >> 16) & 0xff, 2, 16, QLatin1Char('0'))
                                .arg((random >> 8) & 0xff, 2, 16, QLatin1Char('0'))
                                .arg(random & 0xff, 2, 16, QLatin1Char('0'));
        if (!taken.contains(mac))
            return mac;
    }
}

QCoro::Task<Result<Attachment>> Network::attachVm(QString name, QString mac, QList<PortMapping> ports)
{
    if (!available())
        co_return ErrorReply {Error::Unsupported,
                              QStringLiteral("the Hamlet network is unavailable (%1): create the VM with network "
                                             "\"user\" or \"none\"")
                                  .arg(m_unavailable)};
    if (m_attachments.contains(name))
        co_await detach(name);
    Attachment attachment;
    attachment.name = name;
    attachment.kind = QStringLiteral("vm");
    attachment.mac = mac;
    attachment.ports = ports;
    // Recorded first, as for containers: a crash during the ADD leaves a record to undo it by.
    if (Status saved = saveJson(recordPath(name), attachment.toJson()); !saved)
        co_return saved.error();
    m_attachments[name] = attachment;
    Cni::Call call = callFor(attachment);
    // host-local never enters a namespace, but the CNI protocol wants one named for an ADD.
    call.netns = QStringLiteral("/proc/self/ns/net");
    const Result<QJsonObject> added = co_await m_cni.add(call);
    const QJsonArray ips = added ? added->value(QStringLiteral("ips")).toArray() : QJsonArray {};
    if (!added || ips.isEmpty()) {
        QFile::remove(recordPath(name));
        m_attachments.erase(name);
        co_return added ? ErrorReply {Error::Failed, QStringLiteral("no address is left on %1").arg(m_cniName)}
                        : added.error();
    }
    attachment.result = *added;
    attachment.address
        = ips.first().toObject().value(QStringLiteral("address")).toString().section(QLatin1Char('/'), 0, 0);
    m_attachments[name] = attachment;
    if (Status saved = saveJson(recordPath(name), attachment.toJson()); !saved)
        Log::get("network")->error("{}", saved.error().message);
    updateDns();
    Log::get("network")->info("{} reserved {} for the VM {} ({}), {} published port(s)", m_cniName, attachment.address,
                              name, mac, ports.size());
    co_return attachment;
}

QCoro::Task<Status> Network::setVmPorts(QString name, QList<PortMapping> ports)
{
    const auto found = m_attachments.find(name);
    if (found == m_attachments.end() || found->second.kind != QLatin1String("vm"))
        co_return ErrorReply {Error::InvalidArgument,
                              QStringLiteral("%1 is not on the Hamlet network: ports can be published only with "
                                             "network \"nat\"")
                                  .arg(name)};
    Attachment attachment = found->second;
    // A Delete may run while the plugins do (verbs are not serialised per instance): after each
    // wait, go on only if the same attachment is still there, so no record or DNAT comes back for
    // a VM whose address was released.
    const auto stillAttached = [this, name, address = attachment.address, mac = attachment.mac] {
        const auto now = m_attachments.find(name);
        return now != m_attachments.end() && now->second.address == address && now->second.mac == mac;
    };
    const ErrorReply gone {Error::NotFound, QStringLiteral("%1 was deleted while its ports changed").arg(name)};
    if (!attachment.ports.isEmpty()) {
        const Cni::Call old = vmPortsCall(attachment);
        if (const Status removed = co_await m_cni.del(old, attachment.result); !removed)
            co_return removed;
        if (!stillAttached())
            co_return gone;
    }
    attachment.ports = ports;
    m_attachments[name] = attachment;
    if (Status saved = saveJson(recordPath(name), attachment.toJson()); !saved)
        co_return saved;
    if (ports.isEmpty())
        co_return Containers::success();
    const Cni::Call call = vmPortsCall(attachment);
    const Result<QJsonObject> added = co_await m_cni.add(call);
    if (added && !stillAttached()) {
        co_await m_cni.del(call, *added);
        co_return gone;
    }
    if (!added) {
        // Cni::add took back what it made: the record says so too.
        attachment.ports.clear();
        m_attachments[name] = attachment;
        saveJson(recordPath(name), attachment.toJson());
        co_return added.error();
    }
    Log::get("network")->info("{}: {} publishes {} port(s)", m_cniName, name, ports.size());
    co_return Containers::success();
}

QCoro::Task<> Network::restoreVmPorts()
{
    QList<Attachment> published;
    for (const auto &[name, attachment] : m_attachments) {
        if (attachment.kind == QLatin1String("vm") && !attachment.ports.isEmpty() && !attachment.result.isEmpty())
            published << attachment;
    }
    for (const Attachment &attachment : std::as_const(published)) {
        const Cni::Call call = vmPortsCall(attachment);
        if (const Result<QJsonObject> added = co_await m_cni.add(call); !added)
            Log::get("network")->error("the published ports of {}: {}", attachment.name, added.error().message);
    }
}

QString Network::portOwner(const PortMapping &port, const QString &except) const
{
    for (const auto &[name, attachment] : m_attachments) {
        if (name == except)
            continue;
        for (const PortMapping &theirs : attachment.ports) {
            if (theirs.hostPort == port.hostPort && theirs.protocol == port.protocol)
                return name;
        }
    }
    return {};
}

} // namespace Hamlet::Network
