#pragma once

#include "result.h"

#include <QJsonArray>
#include <QList>
#include <QString>
#include <QVariant>

namespace Hamlet::Network {

using Containers::Result;
using Containers::Status;

// One published port: hostAddress:hostPort on the host goes to guestPort of the instance.
struct PortMapping {
    int hostPort = 0;
    int guestPort = 0;
    QString protocol = QStringLiteral("tcp"); // tcp or udp
    QString hostAddress; // empty: every address of the host (and 127.0.0.1)

    QVariantMap toVariantMap() const;
    friend bool operator==(const PortMapping &, const PortMapping &) = default;
};

// Ports below this need the detail "privilegedPorts" in the polkit check (as binding them needs
// CAP_NET_BIND_SERVICE on the host).
inline constexpr int kFirstUnprivilegedPort = 1024;

// The spec key "ports" (aa{sv}: hostPort, guestPort, protocol, hostAddress), from D-Bus (a
// QDBusArgument) or from C++ (a list of maps). Refuses (InvalidArgument) a port outside 1..65535,
// an unknown protocol or key, a host address that is not an IPv4 address of this host, and the
// same host port and protocol twice.
Result<QList<PortMapping>> parsePorts(const QVariant &value);

// Tries to bind every host port as the instance would get it: Busy with the port and what to do
// when another program holds it.
Status checkHostPortsFree(const QList<PortMapping> &ports);

QStringList privilegedPorts(const QList<PortMapping> &ports); // "80/tcp", ...

// For records and the CNI portmap plugin's runtimeConfig.portMappings.
QJsonArray toJson(const QList<PortMapping> &ports);
QList<PortMapping> portsFromJson(const QJsonArray &json);
QJsonArray toCniPortMappings(const QList<PortMapping> &ports);
QVariantList toVariantList(const QList<PortMapping> &ports);

} // namespace Hamlet::Network
