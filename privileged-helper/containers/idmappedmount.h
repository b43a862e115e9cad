#pragma once

#include "fsutil.h"
#include "result.h"
#include "subordinateids.h"

#include <QString>
#include <QStringList>

// The rootfs of a container with a user namespace of its own, presented with idmapped mounts
// (Linux 5.12+, under overlayfs 5.19+): each read-only image layer is bind-mounted with its ids
// shifted into the container's range (a layer file of uid 0 shows as the range's first id), and
// the overlay is made of those mounts, so the layers stay shared by every container and copying
// nothing per create. Files the container writes land in its upper dir with their host ids
// (root in the container: the range's first id), because the upper dir is owned by it.
namespace Hamlet::Containers::IdmappedMount {

// A user namespace mapping 0..size-1 to range (uids and gids), held by the returned fd: a child
// is cloned into it, mapped, and ends at once.
Result<UniqueFd> userNamespace(const IdRange &range);

// A user namespace as userNamespace() makes it, with a new network namespace that it owns (so
// that the container's root administers its own network and may mount its sysfs), both pinned
// by bind mounts on usernsFile and netnsFile (created) until unpin(); the loopback is up. The
// container's runtime joins both by path.
Status pinNamespaces(const IdRange &range, const QString &usernsFile, const QString &netnsFile);
// Unmounts and removes a pinned namespace file; a missing one is fine.
void unpin(const QString &file);

// Bind-mounts source on target (an existing directory), its ids shifted by usernsFd's map.
Status bind(const QString &source, const QString &target, int usernsFd);

// The overlay of OverlayMount::mount, its lower layers idmapped into range. The layer mounts are
// made under scratchDir (kept short: overlayfs options are limited to a page) and detached once
// the overlay holds them. upper and work are given to the range's root.
Status mountOverlay(const QStringList &lowerTopFirst, const QString &upper, const QString &work, const QString &target,
                    const IdRange &range, const QString &scratchDir);

// Detaches layer mounts a crash left under scratchDir (before the bundle is removed).
void detachLeftovers(const QString &scratchDir);

} // namespace Hamlet::Containers::IdmappedMount
