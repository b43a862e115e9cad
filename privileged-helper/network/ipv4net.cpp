#include "ipv4net.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace Hamlet::Network {

std::optional<Ipv4Net> Ipv4Net::parse(const QString &text)
{
    const QStringList parts = text.split(QLatin1Char('/'));
    if (parts.size() > 2)
        return std::nullopt;
    QHostAddress address;
    if (!address.setAddress(parts.first()) || address.protocol() != QAbstractSocket::IPv4Protocol)
        return std::nullopt;
    Ipv4Net net;
    net.address = address.toIPv4Address();
    if (parts.size() == 2) {
        bool ok = false;
        net.prefix = parts.last().toInt(&ok);
        if (!ok || net.prefix < 0 || net.prefix > 32)
            return std::nullopt;
    }
    return net;
}

QString Ipv4Net::addressToString(quint32 address)
{
    return QHostAddress(address).toString();
}

bool Ipv4Net::overlaps(const Ipv4Net &other) const
{
    const int shorter = std::min(prefix, other.prefix);
    const quint32 m = shorter == 0 ? 0 : ~quint32(0) << (32 - shorter);
    return (address & m) == (other.address & m);
}

QString Ipv4Net::toString() const
{
    return addressToString(network()) + QLatin1Char('/') + QString::number(prefix);
}

std::optional<Ipv4Net> firstFreeSubnet(const Ipv4Net &pool, const QList<Ipv4Net> &taken)
{
    if (pool.prefix > 24)
        return std::nullopt;
    const quint32 count = quint32(1) << (24 - pool.prefix);
    for (quint32 i = 0; i < count; ++i) {
        const Ipv4Net candidate {pool.network() + (i << 8), 24};
        bool free = true;
        for (const Ipv4Net &used : taken)
            free = free && !candidate.overlaps(used);
        if (free)
            return candidate;
    }
    return std::nullopt;
}

QList<Ipv4Net> routesFromIpJson(const QByteArray &json)
{
    QList<Ipv4Net> routes;
    for (const QJsonValue &value : QJsonDocument::fromJson(json).array()) {
        const QString dst = value.toObject().value(QStringLiteral("dst")).toString();
        if (dst == QLatin1String("default") || dst.isEmpty())
            continue;
        if (const std::optional<Ipv4Net> net = Ipv4Net::parse(dst))
            routes << *net;
    }
    return routes;
}

} // namespace Hamlet::Network
