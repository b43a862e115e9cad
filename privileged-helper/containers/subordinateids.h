#pragma once

#include "result.h"

#include <QList>
#include <QString>

#include <optional>

namespace Hamlet::Containers {

// A block of host ids: [hostId, hostId + size).
struct IdRange {
    quint64 hostId = 0;
    quint64 size = 0;

    quint64 end() const { return hostId + size; }
    bool overlaps(const IdRange &other) const { return hostId < other.end() && other.hostId < end(); }
    friend bool operator==(const IdRange &, const IdRange &) = default;
};

// The host ids the helper hands to containers, as podman and Incus do it: one "hamlet" entry in
// DIR/subuid and DIR/subgid (the same range in both) that the helper owns, reserved at its first
// start when no install step wrote it, placed above every existing entry and every host user and
// group, so no id of a container is ever a host user's. Each container with a user namespace of
// its own gets kPerContainer ids of it, recorded in its STATE record; a block is free again only
// once no record holds it (see ContainerBackend::remove: the record goes after the files).
namespace SubordinateIds {

inline constexpr quint64 kPerContainer = 65536;
// As Incus: a billion ids from 1,000,000 up, room for 15,258 containers.
inline constexpr quint64 kDefaultBase = 1000000;
inline constexpr quint64 kDefaultCount = 1000000000;
// The largest usable id is 2^32 - 2 ((uid_t)-1 is "no id").
inline constexpr quint64 kIdLimit = 4294967295ull;
inline const QString kOwner = QStringLiteral("hamlet");

// The entries of a subuid/subgid file: "name:start:count" lines (others are skipped).
struct Entry {
    QString owner;
    IdRange range;
};
QList<Entry> parse(const QByteArray &text);

// Where a new reservation goes: kDefaultBase unless something is there, else just above the
// highest entry, or above the highest host id (rounded up to kPerContainer); none when no room is
// left below kIdLimit.
std::optional<IdRange> chooseReservation(const QList<Entry> &existing, quint64 highestHostId);

// The lowest block of kPerContainer ids of pool that no used block overlaps; none when full.
std::optional<IdRange> pick(const IdRange &pool, const QList<IdRange> &used);

// Reads (or writes, at the first start) the "hamlet" entry of dir/subuid and dir/subgid. The
// highest host id is read from passwd and group (root's real files outside tests). Errors say
// what to fix by hand (a hamlet entry that differs between the files, or overlaps another).
Result<IdRange> reserve(const QString &dir, const QString &passwd = QStringLiteral("/etc/passwd"),
                        const QString &group = QStringLiteral("/etc/group"));

} // namespace SubordinateIds

} // namespace Hamlet::Containers
