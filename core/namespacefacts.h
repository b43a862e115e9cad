#pragma once

#include <QString>
#include <QVariantMap>

// What Inspect's namespace verdicts mean, in words, for the window and hamletctl alike. A verdict
// is {state: "isolated" | "shared" | "unknown", reason, inode, hostInode}; anything else (a missing
// or malformed state) reads as unknown, so nothing is ever claimed isolated that was not seen to be.
namespace Hamlet::NamespaceFacts {

enum class State { Isolated, Shared, Unknown };

State stateOf(const QVariantMap &verdict);

// What sharing this namespace with the host means for a person ("root in this container is root on
// the host" for user).
QString sharedMeans(const QString &type);

// Why a verdict is unknown, as the helper said it (or that it said nothing).
QString reasonOf(const QVariantMap &verdict);

// "user: shared with the host — root in this container is root on the host", "pid: isolated",
// "cgroup: unknown — cannot read /proc/42/ns/cgroup: No such file or directory".
QString sentence(const QString &type, const QVariantMap &verdict);

// Inspect's idMap {containerId, hostId, size} in words: "root here is uid 1,065,536 on the host
// (ids 0–65,535 here are 1,065,536–1,131,071 there)"; empty for no map.
QString idMapMeans(const QVariantMap &idMap);

// sentence(), with the map said after an isolated user namespace:
// "user: isolated — root here is uid 1,065,536 on the host (ids ...)".
QString sentence(const QString &type, const QVariantMap &verdict, const QVariantMap &idMap);

} // namespace Hamlet::NamespaceFacts
