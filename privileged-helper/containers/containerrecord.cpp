#include "containerrecord.h"

#include "fsutil.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace Hamlet::Containers {

namespace {

const QList<std::pair<ContainerState, QString>> kStateNames {
    {ContainerState::Creating, QStringLiteral("creating")}, {ContainerState::Running, QStringLiteral("running")},
    {ContainerState::Paused, QStringLiteral("paused")},     {ContainerState::Stopped, QStringLiteral("stopped")},
    {ContainerState::Failed, QStringLiteral("failed")},     {ContainerState::Restarting, QStringLiteral("restarting")},
};

QStringList stringList(const QJsonValue &value)
{
    QStringList list;
    for (const auto &item : value.toArray())
        list << item.toString();
    return list;
}

QString timestamp(const QDateTime &time)
{
    return time.isValid() ? time.toUTC().toString(Qt::ISODateWithMs) : QString();
}

} // namespace

QString toString(ContainerState state)
{
    for (const auto &[value, name] : kStateNames) {
        if (value == state)
            return name;
    }
    return QStringLiteral("failed");
}

ContainerState containerStateFromString(const QString &state)
{
    for (const auto &[value, name] : kStateNames) {
        if (name == state)
            return value;
    }
    return ContainerState::Failed;
}

QJsonObject ContainerRecord::toJson() const
{
    QJsonObject json {
        {QStringLiteral("spec"), spec.toJson()},
        {QStringLiteral("state"), toString(state)},
        {QStringLiteral("exitCode"), exitCode},
        {QStringLiteral("error"), error},
        {QStringLiteral("stoppedByUser"), stoppedByUser},
        {QStringLiteral("createdAt"), timestamp(createdAt)},
        {QStringLiteral("startedAt"), timestamp(startedAt)},
        {QStringLiteral("finishedAt"), timestamp(finishedAt)},
        {QStringLiteral("restartCount"), restartCount},
        {QStringLiteral("firstRestartAt"), timestamp(firstRestartAt)},
        {QStringLiteral("lastRestartAt"), timestamp(lastRestartAt)},
        {QStringLiteral("imageDigest"), imageDigest},
        {QStringLiteral("diffIds"), QJsonArray::fromStringList(diffIds)},
        {QStringLiteral("lowerDirs"), QJsonArray::fromStringList(lowerDirs)},
        {QStringLiteral("imageConfig"), QJsonObject {{QStringLiteral("config"), imageConfig.toConfigJson()}}},
    };
    if (idMap)
        json.insert(QStringLiteral("idMap"),
                    QJsonObject {{QStringLiteral("hostId"), qint64(idMap->hostId)},
                                 {QStringLiteral("size"), qint64(idMap->size)}});
    if (spec.ownerUid)
        json.insert(QStringLiteral("ownerUid"), static_cast<qint64>(*spec.ownerUid));
    return json;
}

ContainerRecord ContainerRecord::fromJson(const QJsonObject &json)
{
    ContainerRecord record;
    record.spec = ContainerSpec::fromJson(json.value(QStringLiteral("spec")).toObject());
    if (const QJsonValue owner = json.value(QStringLiteral("ownerUid")); owner.isDouble() && owner.toDouble() >= 0)
        record.spec.ownerUid = static_cast<uint>(owner.toInteger());
    record.state = containerStateFromString(json.value(QStringLiteral("state")).toString());
    record.exitCode = json.value(QStringLiteral("exitCode")).toInt(-1);
    record.error = json.value(QStringLiteral("error")).toString();
    record.stoppedByUser = json.value(QStringLiteral("stoppedByUser")).toBool();
    record.createdAt = QDateTime::fromString(json.value(QStringLiteral("createdAt")).toString(), Qt::ISODateWithMs);
    record.startedAt = QDateTime::fromString(json.value(QStringLiteral("startedAt")).toString(), Qt::ISODateWithMs);
    record.finishedAt = QDateTime::fromString(json.value(QStringLiteral("finishedAt")).toString(), Qt::ISODateWithMs);
    record.restartCount = json.value(QStringLiteral("restartCount")).toInt();
    record.firstRestartAt
        = QDateTime::fromString(json.value(QStringLiteral("firstRestartAt")).toString(), Qt::ISODateWithMs);
    record.lastRestartAt
        = QDateTime::fromString(json.value(QStringLiteral("lastRestartAt")).toString(), Qt::ISODateWithMs);
    record.imageDigest = json.value(QStringLiteral("imageDigest")).toString();
    record.diffIds = stringList(json.value(QStringLiteral("diffIds")));
    record.lowerDirs = stringList(json.value(QStringLiteral("lowerDirs")));
    record.imageConfig = ImageConfig::fromImageConfigJson(json.value(QStringLiteral("imageConfig")).toObject());
    if (const QJsonObject idMap = json.value(QStringLiteral("idMap")).toObject(); !idMap.isEmpty())
        record.idMap = IdRange {quint64(idMap.value(QStringLiteral("hostId")).toInteger()),
                                quint64(idMap.value(QStringLiteral("size")).toInteger())};
    return record;
}

Status ContainerRecord::save(const QString &path) const
{
    return writeFileAtomically(path, QJsonDocument(toJson()).toJson());
}

Result<ContainerRecord> ContainerRecord::load(const QString &path)
{
    bool ok = false;
    const QByteArray data = readSmallFile(path, &ok);
    if (!ok)
        return ErrorReply {Error::NotFound, QStringLiteral("cannot read %1").arg(path)};
    QJsonParseError error {};
    const QJsonDocument document = QJsonDocument::fromJson(data, &error);
    if (!document.isObject())
        return failed(QStringLiteral("%1 is damaged: %2").arg(path, error.errorString()));
    return fromJson(document.object());
}

} // namespace Hamlet::Containers
