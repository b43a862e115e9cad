#pragma once

#include <QString>

namespace Hamlet::Containers {

// What an import or a new disk must leave free on its filesystem, so that Hamlet never fills
// the host's disk to the last byte (the rest of the system needs some too).
inline constexpr quint64 kSpaceReserveBytes = 64ull << 20;

// "" when the filesystem holding dir (the nearest existing ancestor) has needed bytes plus the
// reserve available, else "not enough space on DIR: N needed, M free" for a person.
QString notEnoughSpace(const QString &dir, quint64 needed);

} // namespace Hamlet::Containers
