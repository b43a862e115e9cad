#pragma once

#include "ipv4net.h"
#include "result.h"

#include <QList>
#include <QPair>
#include <QString>

namespace Hamlet::Network {

// The one dnsmasq of a Hamlet network, as libvirt runs one per network: DNS on the bridge's
// address for the names of every instance (a hosts file), forwarding other names to the host's
// resolvers, and DHCP for VMs from reservations by MAC only (a "static" range: an unknown MAC gets
// no address, so it never competes with the containers' host-local addresses). It outlives the
// helper (instances keep resolving while the helper restarts); the helper finds it again by its pid
// file and command line, and reloads it with SIGHUP after each change of the host lists.
class Dnsmasq
{
public:
    struct Config {
        QString dir; // STATE/network: dnsmasq.conf, hosts, dhcp-hosts, leases, dnsmasq.pid
        QString bridge;
        Ipv4Net subnet;
        QString gateway;
        QString domain = QStringLiteral("hamlet");
    };
    using Hosts = QList<QPair<QString, QString>>; // name, address
    using Reservations = QList<QPair<QString, QString>>; // MAC, address

    explicit Dnsmasq(Config config);

    // Starts it (or finds the one that runs with this configuration and reloads it).
    Containers::Status start();
    Containers::Status update(const Hosts &hosts, const Reservations &reservations);
    qint64 pid() const; // 0 when it does not run
    void stop();
    QString leasesFile() const { return m_config.dir + QStringLiteral("/leases"); }

private:
    QString path(const char *name) const { return m_config.dir + QLatin1Char('/') + QLatin1String(name); }
    QByteArray configuration() const;

    Config m_config;
};

} // namespace Hamlet::Network
