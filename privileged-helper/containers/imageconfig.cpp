#include "imageconfig.h"

#include <QJsonArray>

namespace Hamlet::Containers {

namespace {
QStringList stringList(const QJsonValue &value)
{
    QStringList list;
    for (const auto &item : value.toArray())
        list << item.toString();
    return list;
}
} // namespace

ImageConfig ImageConfig::fromImageConfigJson(const QJsonObject &document)
{
    const QJsonObject config = document.value(QStringLiteral("config")).toObject();
    ImageConfig image;
    image.entrypoint = stringList(config.value(QStringLiteral("Entrypoint")));
    image.cmd = stringList(config.value(QStringLiteral("Cmd")));
    image.env = stringList(config.value(QStringLiteral("Env")));
    image.workingDir = config.value(QStringLiteral("WorkingDir")).toString();
    image.user = config.value(QStringLiteral("User")).toString();
    return image;
}

QJsonObject ImageConfig::toConfigJson() const
{
    QJsonObject config;
    if (!entrypoint.isEmpty())
        config.insert(QStringLiteral("Entrypoint"), QJsonArray::fromStringList(entrypoint));
    if (!cmd.isEmpty())
        config.insert(QStringLiteral("Cmd"), QJsonArray::fromStringList(cmd));
    if (!env.isEmpty())
        config.insert(QStringLiteral("Env"), QJsonArray::fromStringList(env));
    if (!workingDir.isEmpty())
        config.insert(QStringLiteral("WorkingDir"), workingDir);
    if (!user.isEmpty())
        config.insert(QStringLiteral("User"), user);
    return config;
}

} // namespace Hamlet::Containers
