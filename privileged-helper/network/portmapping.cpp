#include "portmapping.h"

#include <QDBusArgument>
#include <QHostAddress>
#include <QJsonObject>
#include <QNetworkInterface>
#include <QSet>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace Hamlet::Network {

namespace {

const QString kHostPort = QStringLiteral("hostPort");
const QString kGuestPort = QStringLiteral("guestPort");
const QString kProtocol = QStringLiteral("protocol");
const QString kHostAddress = QStringLiteral("hostAddress");

QList<QVariantMap> mapsOf(const QVariant &value, bool *ok)
{
    *ok = true;
    QList<QVariantMap> maps;
    if (value.canConvert<QDBusArgument>() && value.metaType() == QMetaType::fromType<QDBusArgument>()) {
        const QDBusArgument argument = value.value<QDBusArgument>();
        if (argument.currentSignature() != QLatin1String("aa{sv}")) {
            *ok = false;
            return {};
        }
        argument >> maps;
        return maps;
    }
    if (value.metaType() == QMetaType::fromType<QList<QVariantMap>>())
        return value.value<QList<QVariantMap>>();
    if (value.metaType().id() == QMetaType::QVariantList) {
        for (const QVariant &item : value.toList()) {
            if (item.metaType().id() != QMetaType::QVariantMap) {
                *ok = false;
                return {};
            }
            maps << item.toMap();
        }
        return maps;
    }
    *ok = false;
    return {};
}

bool isInteger(const QVariant &value)
{
    switch (value.metaType().id()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Short:
    case QMetaType::UShort:
        return true;
    default:
        return false;
    }
}

ErrorReply invalid(const QString &message)
{
    return Containers::invalidArgument(message);
}

Result<int> portNumber(const QVariantMap &map, const QString &key)
{
    if (!map.contains(key))
        return invalid(QStringLiteral("a published port needs \"%1\"").arg(key));
    const QVariant value = map.value(key);
    if (!isInteger(value))
        return invalid(QStringLiteral("\"%1\" must be a port number (q or u)").arg(key));
    const qlonglong port = value.toLongLong();
    if (port < 1 || port > 65535)
        return invalid(QStringLiteral("%1 %2 is out of range: a port is 1 to 65535").arg(key).arg(port));
    return int(port);
}

bool isAddressOfThisHost(const QString &address)
{
    const QHostAddress wanted(address);
    if (wanted.isLoopback())
        return true;
    for (const QHostAddress &mine : QNetworkInterface::allAddresses()) {
        if (mine == wanted)
            return true;
    }
    return false;
}

} // namespace

QVariantMap PortMapping::toVariantMap() const
{
    return {{kHostPort, QVariant::fromValue<uint>(hostPort)},
            {kGuestPort, QVariant::fromValue<uint>(guestPort)},
            {kProtocol, protocol},
            {kHostAddress, hostAddress}};
}

Result<QList<PortMapping>> parsePorts(const QVariant &value)
{
    bool ok = false;
    const QList<QVariantMap> maps = mapsOf(value, &ok);
    if (!ok)
        return invalid(QStringLiteral("\"ports\" must be a list of port maps (aa{sv}: hostPort, guestPort, protocol, "
                                      "hostAddress)"));
    static const QSet<QString> known {kHostPort, kGuestPort, kProtocol, kHostAddress};
    QList<PortMapping> ports;
    QSet<QString> seen;
    for (const QVariantMap &map : maps) {
        for (auto it = map.cbegin(); it != map.cend(); ++it) {
            if (!known.contains(it.key()))
                return invalid(QStringLiteral("unknown port option \"%1\"").arg(it.key()));
        }
        PortMapping port;
        const Result<int> host = portNumber(map, kHostPort);
        if (!host)
            return host.error();
        port.hostPort = *host;
        const Result<int> guest = map.contains(kGuestPort) ? portNumber(map, kGuestPort) : Result<int>(*host);
        if (!guest)
            return guest.error();
        port.guestPort = *guest;
        port.protocol = map.value(kProtocol, QStringLiteral("tcp")).toString().toLower();
        if (port.protocol != QLatin1String("tcp") && port.protocol != QLatin1String("udp"))
            return invalid(QStringLiteral("protocol \"%1\" is not known: use tcp or udp").arg(port.protocol));
        port.hostAddress = map.value(kHostAddress).toString();
        if (!port.hostAddress.isEmpty()) {
            const QHostAddress address(port.hostAddress);
            if (address.protocol() != QAbstractSocket::IPv4Protocol)
                return invalid(QStringLiteral("hostAddress \"%1\" is not an IPv4 address").arg(port.hostAddress));
            if (!isAddressOfThisHost(port.hostAddress))
                return invalid(QStringLiteral("hostAddress %1 is not an address of this host").arg(port.hostAddress));
        }
        const QString key = QStringLiteral("%1/%2").arg(port.hostPort).arg(port.protocol);
        if (seen.contains(key))
            return invalid(
                QStringLiteral("host port %1 is published twice: each host port can go to one place only").arg(key));
        seen.insert(key);
        ports << port;
    }
    return ports;
}

Status checkHostPortsFree(const QList<PortMapping> &ports)
{
    for (const PortMapping &port : ports) {
        const bool udp = port.protocol == QLatin1String("udp");
        const int fd = ::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return Containers::failed(QStringLiteral("cannot make a socket to check port %1: %2")
                                          .arg(port.hostPort)
                                          .arg(QString::fromLocal8Bit(std::strerror(errno))));
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(quint16(port.hostPort));
        address.sin_addr.s_addr
            = port.hostAddress.isEmpty() ? htonl(INADDR_ANY) : htonl(QHostAddress(port.hostAddress).toIPv4Address());
        // No SO_REUSEADDR: a port in TIME_WAIT is still "in use" for a server that wants it.
        const int bound = ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address);
        const int error = errno;
        ::close(fd);
        if (bound != 0) {
            const QString where = port.hostAddress.isEmpty() ? QStringLiteral("this host") : port.hostAddress;
            return ErrorReply {Error::Busy,
                               QStringLiteral("port %1/%2 on %3 is taken by another program (%4): choose another host "
                                              "port")
                                   .arg(port.hostPort)
                                   .arg(port.protocol, where, QString::fromLocal8Bit(std::strerror(error)))};
        }
    }
    return Containers::success();
}

QStringList privilegedPorts(const QList<PortMapping> &ports)
{
    QStringList list;
    for (const PortMapping &port : ports) {
        if (port.hostPort < kFirstUnprivilegedPort)
            list << QStringLiteral("%1/%2").arg(port.hostPort).arg(port.protocol);
    }
    return list;
}

QJsonArray toJson(const QList<PortMapping> &ports)
{
    QJsonArray array;
    for (const PortMapping &port : ports)
        array.append(QJsonObject {{kHostPort, port.hostPort},
                                  {kGuestPort, port.guestPort},
                                  {kProtocol, port.protocol},
                                  {kHostAddress, port.hostAddress}});
    return array;
}

QList<PortMapping> portsFromJson(const QJsonArray &json)
{
    QList<PortMapping> ports;
    for (const QJsonValue &value : json) {
        const QJsonObject object = value.toObject();
        ports << PortMapping {object.value(kHostPort).toInt(), object.value(kGuestPort).toInt(),
                              object.value(kProtocol).toString(QStringLiteral("tcp")),
                              object.value(kHostAddress).toString()};
    }
    return ports;
}

QJsonArray toCniPortMappings(const QList<PortMapping> &ports)
{
    QJsonArray array;
    for (const PortMapping &port : ports) {
        QJsonObject mapping {{QStringLiteral("hostPort"), port.hostPort},
                             {QStringLiteral("containerPort"), port.guestPort},
                             {QStringLiteral("protocol"), port.protocol}};
        if (!port.hostAddress.isEmpty())
            mapping.insert(QStringLiteral("hostIP"), port.hostAddress);
        array.append(mapping);
    }
    return array;
}

QVariantList toVariantList(const QList<PortMapping> &ports)
{
    QVariantList list;
    for (const PortMapping &port : ports)
        list << port.toVariantMap();
    return list;
}

} // namespace Hamlet::Network
