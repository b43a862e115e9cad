#pragma once

#include "ipv4net.h"
#include "result.h"

#include <QString>
#include <QStringList>

namespace Hamlet::Network {

// The rules the network itself owns, as libvirt's NAT network owns its own (not per instance):
// traffic of the subnet leaving it is masqueraded behind the host, and forwarding from the bridge
// (and back, for replies and published ports) is accepted even where the host's FORWARD policy
// drops. They name the subnet and the bridge, never an instance's address, so no rule of theirs
// can outlive its instance; ensure() adds only what is missing (checked with `iptables -C`), so a
// helper that starts again, after a crash or not, doubles nothing. Containers get their own
// masquerade from the CNI bridge plugin as well; this one is what covers the VMs, whose NIC is a
// tap libvirt makes (no CNI plugin of the list runs for it but host-local and portmap).
class NetworkFirewall
{
public:
    NetworkFirewall(QString cniName, QString bridge, Ipv4Net subnet);

    // Turns on IPv4 forwarding (as the bridge plugin and libvirt do) and adds the missing rules.
    Containers::Status ensure() const;
    // The comment every rule carries: "hamlet network NAME", told apart from the CNI plugins'
    // per-instance rules ("name: \"NAME\" id: ...").
    QString tag() const { return QStringLiteral("hamlet network ") + m_cniName; }

private:
    struct Rule {
        QString table;
        QString chain;
        bool first; // inserted at the top (FORWARD: before a DROP another tool may add)
        QStringList match;
    };
    QList<Rule> rules() const;

    QString m_cniName;
    QString m_bridge;
    Ipv4Net m_subnet;
};

} // namespace Hamlet::Network
