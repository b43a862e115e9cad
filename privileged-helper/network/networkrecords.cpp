#include "networkrecords.h"

#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>

namespace Hamlet::Network {

QJsonObject Attachment::toJson() const
{
    return {{QStringLiteral("name"), name},
            {QStringLiteral("kind"), kind},
            {QStringLiteral("netns"), netns},
            {QStringLiteral("mac"), mac},
            {QStringLiteral("address"), address},
            {QStringLiteral("hostInterface"), hostInterface},
            {QStringLiteral("ports"), Network::toJson(ports)},
            {QStringLiteral("result"), result},
            {QStringLiteral("cniList"), cniList}};
}

Attachment Attachment::fromJson(const QJsonObject &json)
{
    Attachment attachment;
    attachment.name = json.value(QStringLiteral("name")).toString();
    attachment.kind = json.value(QStringLiteral("kind")).toString(QStringLiteral("container"));
    attachment.netns = json.value(QStringLiteral("netns")).toString();
    attachment.mac = json.value(QStringLiteral("mac")).toString();
    attachment.address = json.value(QStringLiteral("address")).toString();
    attachment.hostInterface = json.value(QStringLiteral("hostInterface")).toString();
    attachment.ports = portsFromJson(json.value(QStringLiteral("ports")).toArray());
    attachment.result = json.value(QStringLiteral("result")).toObject();
    attachment.cniList = json.value(QStringLiteral("cniList")).toObject();
    return attachment;
}

Containers::Status saveJson(const QString &path, const QJsonObject &json)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(json).toJson()) < 0 || !file.commit())
        return Containers::failed(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return Containers::success();
}

QJsonObject loadJson(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

} // namespace Hamlet::Network
