#pragma once

#include "cni.h"
#include "dnsmasq.h"
#include "ipv4net.h"
#include "networkrecords.h"
#include "portmapping.h"

#include <QObject>
#include <QSet>

#include <QCoro/QCoroTask>
#include <map>
#include <optional>

namespace Hamlet::Network {

// Bytes an instance received and sent, cumulative (read from the host end of its veth or tap).
struct NetCounters {
    quint64 rxBytes = 0;
    quint64 txBytes = 0;
};

// The Hamlet network ("hamlet"): one Linux bridge with a /24 chosen at first use from a pool so
// that it overlaps no route of the host, masquerade NAT and published ports made by the CNI
// plugins (bridge + host-local, portmap, firewall, from containernetworking-plugins), and one
// dnsmasq for names and VM DHCP. Its rule: everything it adds for an instance is recorded
// (STATE/network/attachments/NAME.json) before it is made, and taken back from that record, so
// that after a crash reconcile() removes what no live instance owns, and never makes anything twice.
class Network : public QObject
{
    Q_OBJECT
public:
    struct Options {
        QString stateDir; // STATE/network
        QString runDir; // RUN/netns: the namespace files of containers
        QString bridge = QStringLiteral("hamlet0");
        QString pool = QStringLiteral("10.90.0.0/16");
        QString pluginDir = QStringLiteral("/usr/lib/cni");
    };

    explicit Network(Options options, QObject *parent = nullptr);

    // Chooses or finds the subnet, makes the bridge, starts dnsmasq, loads the records. A failure
    // leaves the network unavailable (with the reason), not the helper.
    QCoro::Task<Containers::Status> initialize();
    bool available() const { return m_unavailable.isEmpty(); }
    // Why "nat" cannot be used on this host, for a person; empty when it can.
    QString unavailableReason() const { return m_unavailable; }

    QString bridge() const { return m_options.bridge; }
    QString cniName() const { return m_cniName; }
    Ipv4Net subnet() const { return m_subnet; }
    QString gateway() const { return m_subnet.host(1); }
    QString domain() const { return QStringLiteral("hamlet"); }

    // A network namespace on the bridge for a container, with an address, a default route via the
    // bridge and the published ports. An attachment of that name left from before goes first.
    QCoro::Task<Result<Attachment>> attachContainer(QString name, QList<PortMapping> ports);
    // An address for a VM's NIC, reserved by its MAC in dnsmasq (DHCP) and named after the VM in
    // its DNS, taken from the same host-local pool as the containers' (the IPAM plugin run on its
    // own), so the two never collide. It lasts until detach (Delete), across stops and starts.
    QCoro::Task<Result<Attachment>> attachVm(QString name, QString mac);
    // A locally administered MAC in QEMU's 52:54:00 prefix that no attachment has.
    QString newVmMac() const;
    // Takes back everything of the instance's attachment (rules, address, veth, namespace, name).
    // Nothing to do without one.
    QCoro::Task<Containers::Status> detach(QString name);
    // At helper start: detaches every attachment of this kind whose instance is not in keep.
    QCoro::Task<> reconcile(QString kind, QSet<QString> keep);

    std::optional<Attachment> attachment(const QString &name) const;
    std::optional<NetCounters> counters(const QString &name) const;
    // Where a container's namespace is pinned. One found there already (made by the container
    // code inside the container's user namespace) is the one attachContainer configures.
    QString netnsPath(const QString &name) const;
    // The /etc/hosts and /etc/resolv.conf a NAT container gets.
    QByteArray hostsFileFor(const QString &name, const QString &hostname) const;
    QByteArray resolvConf() const;

private:
    QString recordPath(const QString &name) const;
    QJsonObject ipamConfig() const;
    QJsonObject cniList(const QList<PortMapping> &ports) const;
    QJsonObject vmIpamList() const;
    Cni::Call callFor(const Attachment &attachment) const;
    Containers::Status chooseSubnet();
    Containers::Status ensureBridge();
    void updateDns();

    Options m_options;
    QString m_cniName;
    Ipv4Net m_subnet;
    QString m_unavailable = QStringLiteral("the network is not set up yet");
    Cni m_cni;
    std::optional<Dnsmasq> m_dnsmasq;
    std::map<QString, Attachment> m_attachments;
};

} // namespace Hamlet::Network
