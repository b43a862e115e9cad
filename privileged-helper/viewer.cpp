#include "viewer.h"

#include <QDBusMessage>
#include <QDBusPendingReply>

#include <QCoro/QCoroDBus>

#include <pwd.h>

namespace Hamlet {

QString describeUid(uint uid)
{
    const passwd *account = ::getpwuid(uid);
    return account ? QStringLiteral("uid %1 (%2)").arg(uid).arg(QString::fromLocal8Bit(account->pw_name))
                   : QStringLiteral("uid %1").arg(uid);
}

QCoro::Task<uint> connectionUid(QDBusConnection bus, QString busName)
{
    const QDBusMessage query = QDBusMessage::createMethodCall(
                                   QStringLiteral("org.freedesktop.DBus"), QStringLiteral("/org/freedesktop/DBus"),
                                   QStringLiteral("org.freedesktop.DBus"), QStringLiteral("GetConnectionUnixUser"))
        << busName;
    const QDBusPendingReply<uint> reply = co_await bus.asyncCall(query);
    co_return reply.isError() ? NobodyUid : reply.value();
}

QCoro::Task<Viewer> viewerOf(QDBusConnection bus, Authorizer &authorizer, QString busName)
{
    const uint uid = co_await connectionUid(bus, busName); // named: GCC 12 and braced lists
    Viewer viewer {busName, uid, false};
    if (viewer.uid == 0) {
        viewer.managesOthers = true;
        co_return viewer;
    }
    const QMap<QString, QString> details {{QStringLiteral("verb"), QStringLiteral("Watch")}};
    const Authorizer::Decision decision
        = co_await authorizer.check(busName, ManageOthersAction, details, Authorizer::NoInteraction);
    viewer.managesOthers = decision.allowed;
    co_return viewer;
}

QVariantMap specSeenBy(const QVariantMap &spec, const InstanceInfo &info, const Viewer &viewer)
{
    if (viewer.managesOthers || actsAsOwner(viewer.uid, ownerOf(info)))
        return spec;
    QVariantMap seen = spec;
    seen.remove(QStringLiteral("env")); // may hold the owner's secrets (tokens, passwords)
    return seen;
}

QVariantMap instanceProperties(const InstanceInfo &info, const Viewer &viewer)
{
    return {
        {QStringLiteral("Name"), info.name},
        {QStringLiteral("Kind"), info.kind},
        {QStringLiteral("State"), info.state},
        {QStringLiteral("ExitCode"), info.exitCode},
        {QStringLiteral("Spec"), specSeenBy(info.spec, info, viewer)},
        {QStringLiteral("CreatedAt"), QVariant::fromValue(info.createdAtMs)},
        {QStringLiteral("StartedAt"), QVariant::fromValue(info.startedAtMs)},
        {QStringLiteral("Error"), info.error},
        {QStringLiteral("Owner"), ownerOf(info)},
        {QStringLiteral("OwnerRecorded"), info.ownerUid.has_value()},
        {QStringLiteral("RestartCount"), info.restartCount},
        {QStringLiteral("FirstRestartAt"), QVariant::fromValue(info.firstRestartAtMs)},
        {QStringLiteral("LastRestartAt"), QVariant::fromValue(info.lastRestartAtMs)},
    };
}

} // namespace Hamlet
