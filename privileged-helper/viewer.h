#pragma once

#include "authorizer.h"
#include "instancebackend.h"

#include <QDBusConnection>
#include <QString>
#include <QVariantMap>

#include <QCoro/QCoroTask>

namespace Hamlet {

// Every instance has an owner: the uid that created it. Another uid needs this action (asked in
// addition to the verb's own) to act on it, and without it sees the instance but not its env.
inline const QString ManageOthersAction = QStringLiteral("dev.hamlet.manage-others");
// The uid of a caller the bus daemon could not name: owns nothing, opens nothing.
inline constexpr uint NobodyUid = 65534;

// Who is looking at or acting on instances: a bus caller, its uid as the bus daemon tells it,
// and whether polkit lets it manage other users' instances (asked without interaction).
struct Viewer {
    QString busName;
    uint uid = NobodyUid;
    bool managesOthers = false;
};

// The owner's uid; an instance made before owners were recorded belongs to root (uid 0), so only
// root or an administrator (manage-others) acts on it.
inline uint ownerOf(const InstanceInfo &info)
{
    return info.ownerUid.value_or(0);
}

// Root is the owner's equal: polkit answers yes to root for every action anyway.
inline bool actsAsOwner(uint callerUid, uint ownerUid)
{
    return callerUid == 0 || callerUid == ownerUid;
}

// "uid 1000 (alice)": for messages.
QString describeUid(uint uid);

// The uid of a bus connection, or NobodyUid when the bus daemon cannot say.
QCoro::Task<uint> connectionUid(QDBusConnection bus, QString busName);

// The viewer with its uid and manage-others answer (never an interactive prompt: looking must
// not ask for a password).
QCoro::Task<Viewer> viewerOf(QDBusConnection bus, Authorizer &authorizer, QString busName);

// dev.hamlet.Instance1's properties of an instance as this viewer may see them: the Spec's env
// only for the owner, root and a viewer that manages others.
QVariantMap instanceProperties(const InstanceInfo &info, const Viewer &viewer);
QVariantMap specSeenBy(const QVariantMap &spec, const InstanceInfo &info, const Viewer &viewer);

} // namespace Hamlet
