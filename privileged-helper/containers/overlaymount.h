#pragma once

#include "result.h"

#include <QString>
#include <QStringList>

// A container's rootfs: an overlay of the image's read-only layer dirs with a per-container upper
// dir, so creating a container copies nothing and deleting it drops only its own changes.
namespace Hamlet::Containers::OverlayMount {

// lowerTopFirst: layer dirs, top layer first (ImageStore::unpackLayers order). upper and work
// must be empty dirs on the same filesystem.
Status mount(const QStringList &lowerTopFirst, const QString &upper, const QString &work, const QString &target);
// Detaches the mount; not mounted is fine.
Status unmount(const QString &target);
bool isMountPoint(const QString &path);
// The lowerdir/upperdir of the overlay at target, from /proc/self/mountinfo (for Inspect).
QString mountOptions(const QString &target);

} // namespace Hamlet::Containers::OverlayMount
