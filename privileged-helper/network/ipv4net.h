#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace Hamlet::Network {

// An IPv4 network or address with its prefix ("10.90.3.0/24"); pure value, no I/O.
struct Ipv4Net {
    quint32 address = 0; // host byte order
    int prefix = 32;

    static std::optional<Ipv4Net> parse(const QString &text); // "a.b.c.d" or "a.b.c.d/n"
    static QString addressToString(quint32 address);

    quint32 mask() const { return prefix == 0 ? 0 : ~quint32(0) << (32 - prefix); }
    quint32 network() const { return address & mask(); }
    quint32 broadcast() const { return network() | ~mask(); }
    bool overlaps(const Ipv4Net &other) const;
    bool contains(quint32 host) const { return (host & mask()) == network(); }
    // The n-th address of the network (1 = the first host).
    QString host(quint32 n) const { return addressToString(network() + n); }
    QString toString() const; // "10.90.3.0/24" (the network, not the address)
};

// The first /24 of pool that overlaps none of taken (host routes and addresses), as podman picks
// the subnet of a new network; nothing when the pool is used up.
std::optional<Ipv4Net> firstFreeSubnet(const Ipv4Net &pool, const QList<Ipv4Net> &taken);

// The destinations of `ip -j -4 route show table all` ("default" is left out: every subnet
// "overlaps" it, and a default route is what NAT is for).
QList<Ipv4Net> routesFromIpJson(const QByteArray &json);

} // namespace Hamlet::Network
