#include "namespacefacts.h"

#include <QCoreApplication>

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

} // namespace Hamlet::NamespaceFacts
