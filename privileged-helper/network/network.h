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
// plugins (bridge + host-local, portmap, from containernetworking-plugins) and the network's own
// masquerade and forward rules (NetworkFirewall), and one
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
    // Published ports (portmap run for the reserved address) last as long as the reservation:
    // a VM's address and its DNAT rules exist from create to Delete, stopped or running.
    QCoro::Task<Result<Attachment>> attachVm(QString name, QString mac, QList<PortMapping> ports = {});
    // Replaces a VM's published ports (SetPorts): the old DNAT rules go, the new ones come;
    // recorded before they are made. A failure leaves the VM with no published port.
    QCoro::Task<Status> setVmPorts(QString name, QList<PortMapping> ports);
    // The instance other than except whose attachment publishes this host port and protocol
    // (the VMs always, containers while they run), or "".
    QString portOwner(const PortMapping &port, const QString &except) const;
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
    // The plugin list of a container: Current for a new attachment; WithPerAddressRules (the
    // bridge plugin's ipMasq and the firewall plugin) is how attachments were made before the
    // network owned its masquerade and forward rules, to undo those that have no recorded list.
    enum class ListVersion { Current, WithPerAddressRules };
    QJsonObject cniList(const QList<PortMapping> &ports, ListVersion version = ListVersion::Current) const;
    QJsonObject vmList(const QList<PortMapping> &ports) const;
    QJsonObject portmapPlugin() const;
    Cni::Call vmPortsCall(const Attachment &attachment) const;
    Cni::Call callFor(const Attachment &attachment) const;
    // At start: the DNAT rules of every VM that has published ports, made again where missing
    // (portmap's ADD changes nothing that is there: nothing is doubled).
    QCoro::Task<> restoreVmPorts();
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
