#include "namespacefacts.h"

#include <QCoreApplication>
#include <QLocale>

namespace Hamlet::NamespaceFacts {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("NamespaceFacts", text);
}
} // namespace

State stateOf(const QVariantMap &verdict)
{
    const QString state = verdict.value(QStringLiteral("state")).toString();
    if (state == QLatin1String("isolated"))
        return State::Isolated;
    if (state == QLatin1String("shared"))
        return State::Shared;
    return State::Unknown;
}

QString sharedMeans(const QString &type)
{
    if (type == QLatin1String("user"))
        return tr("root in this container is root on the host");
    if (type == QLatin1String("pid"))
        return tr("it sees the host's processes");
    if (type == QLatin1String("net"))
        return tr("it uses the host's network");
    if (type == QLatin1String("mnt"))
        return tr("it sees the host's mounts");
    if (type == QLatin1String("uts"))
        return tr("it shares the host's name");
    if (type == QLatin1String("ipc"))
        return tr("it shares the host's shared memory and message queues");
    if (type == QLatin1String("cgroup"))
        return tr("it sees the host's control-group tree");
    return {};
}

QString reasonOf(const QVariantMap &verdict)
{
    const QString reason = verdict.value(QStringLiteral("reason")).toString();
    return reason.isEmpty() ? tr("the helper did not say why") : reason;
}

QString sentence(const QString &type, const QVariantMap &verdict)
{
    switch (stateOf(verdict)) {
    case State::Isolated:
        return tr("%1: isolated").arg(type);
    case State::Shared: {
        const QString means = sharedMeans(type);
        return means.isEmpty() ? tr("%1: shared with the host").arg(type)
                               : tr("%1: shared with the host — %2").arg(type, means);
    }
    case State::Unknown:
        break;
    }
    return tr("%1: unknown — %2").arg(type, reasonOf(verdict));
}

QString idMapMeans(const QVariantMap &idMap)
{
    bool hostOk = false;
    bool sizeOk = false;
    const qulonglong host = idMap.value(QStringLiteral("hostId")).toULongLong(&hostOk);
    const qulonglong size = idMap.value(QStringLiteral("size")).toULongLong(&sizeOk);
    const qulonglong first = idMap.value(QStringLiteral("containerId")).toULongLong();
    if (!hostOk || !sizeOk || size == 0)
        return {};
    // Grouped as the issue and a person write it: 1,065,536.
    const QLocale english(QLocale::English, QLocale::UnitedStates);
    const QString root = first == 0
        ? tr("root here is uid %1 on the host").arg(english.toString(host))
        : tr("uid %1 here is uid %2 on the host").arg(english.toString(first), english.toString(host));
    return tr("%1 (ids %2–%3 here are %4–%5 there)")
        .arg(root, english.toString(first), english.toString(first + size - 1), english.toString(host),
             english.toString(host + size - 1));
}

QString sentence(const QString &type, const QVariantMap &verdict, const QVariantMap &idMap)
{
    const QString means = idMapMeans(idMap);
    if (type == QLatin1String("user") && stateOf(verdict) == State::Isolated && !means.isEmpty())
        return tr("%1: isolated — %2").arg(type, means);
    return sentence(type, verdict);
}

} // namespace Hamlet::NamespaceFacts
