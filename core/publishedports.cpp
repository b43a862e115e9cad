#include "publishedports.h"

#include "dbustypes.h"

#include <QDBusArgument>

namespace Hamlet {

namespace {
bool everyAddress(const QString &address)
{
    return address.isEmpty() || address == QLatin1String("0.0.0.0");
}
} // namespace

QString PublishedPort::label() const
{
    QString text = everyAddress(hostAddress) ? QString::number(hostPort)
                                             : QStringLiteral("%1:%2").arg(hostAddress).arg(hostPort);
    text += QStringLiteral(" → %1").arg(guestPort);
    if (protocol != QLatin1String("tcp"))
        text += QLatin1Char('/') + protocol;
    return text;
}

QUrl PublishedPort::url() const
{
    if (protocol != QLatin1String("tcp"))
        return {};
    const QString host = everyAddress(hostAddress) ? QStringLiteral("127.0.0.1") : hostAddress;
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(host);
    url.setPort(static_cast<int>(hostPort));
    url.setPath(QStringLiteral("/"));
    return url;
}

QVariantMap PublishedPort::toVariantMap() const
{
    QVariantMap map {{QStringLiteral("hostPort"), hostPort},
                     {QStringLiteral("guestPort"), guestPort},
                     {QStringLiteral("protocol"), protocol}};
    if (!hostAddress.isEmpty())
        map.insert(QStringLiteral("hostAddress"), hostAddress);
    return map;
}

namespace PublishedPorts {

QList<PublishedPort> fromSpec(const QVariant &ports)
{
    VariantMapList maps;
    if (ports.metaType() == QMetaType::fromType<QDBusArgument>())
        maps = qdbus_cast<VariantMapList>(ports.value<QDBusArgument>());
    else if (ports.canConvert<VariantMapList>())
        maps = ports.value<VariantMapList>();
    else
        for (const QVariant &item : ports.toList())
            maps << item.toMap();
    QList<PublishedPort> result;
    for (const QVariantMap &map : std::as_const(maps)) {
        PublishedPort port;
        port.hostPort = map.value(QStringLiteral("hostPort")).toUInt();
        port.guestPort = map.value(QStringLiteral("guestPort"), port.hostPort).toUInt();
        port.protocol = map.value(QStringLiteral("protocol"), QStringLiteral("tcp")).toString();
        port.hostAddress = map.value(QStringLiteral("hostAddress")).toString();
        if (port.hostPort > 0)
            result << port;
    }
    return result;
}

QVariant toSpec(const QList<PublishedPort> &ports)
{
    VariantMapList maps;
    for (const PublishedPort &port : ports)
        maps << port.toVariantMap();
    return QVariant::fromValue(maps);
}

std::optional<uint> parsePort(const QString &text)
{
    bool ok = false;
    const uint value = text.trimmed().toUInt(&ok);
    if (!ok || value < 1 || value > 65535)
        return std::nullopt;
    return value;
}

bool clash(const PublishedPort &a, const PublishedPort &b)
{
    return a.hostPort == b.hostPort && a.protocol == b.protocol
        && (a.hostAddress == b.hostAddress || everyAddress(a.hostAddress) || everyAddress(b.hostAddress));
}

} // namespace PublishedPorts

} // namespace Hamlet
