// Network: the VMs' side. A VM's NIC is a tap that libvirt makes on the bridge; the helper only
// reserves its address (host-local, the containers' IPAM, run on its own) and tells dnsmasq, which
// hands that address to the MAC by DHCP and serves the VM's name.
#include "network.h"

#include "logging.h"

#include <QFile>
#include <QJsonArray>
#include <QRandomGenerator>

namespace Hamlet::Network {

QJsonObject Network::vmIpamList() const
{
    const QJsonArray plugins {
        QJsonObject {{QStringLiteral("type"), QStringLiteral("host-local")}, {QStringLiteral("ipam"), ipamConfig()}}};
    return {{QStringLiteral("cniVersion"), QStringLiteral("1.0.0")},
            {QStringLiteral("name"), m_cniName},
            {QStringLiteral("plugins"), plugins}};
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

QCoro::Task<Result<Attachment>> Network::attachVm(QString name, QString mac)
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
    Log::get("network")->info("{} reserved {} for the VM {} ({})", m_cniName, attachment.address, name, mac);
    co_return attachment;
}

} // namespace Hamlet::Network
