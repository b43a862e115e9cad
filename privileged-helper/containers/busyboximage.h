#pragma once

#include "imagestore.h"
#include "result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

// The built-in "busybox" image: a real single-layer OCI image assembled from the host's static
// busybox, so a container can be created with no network. The layer tar is deterministic (fixed
// times and owners, sorted entries), so the same busybox always gives the same digests.
namespace Hamlet::Containers::BusyboxImage {

inline const QString kName = QStringLiteral("busybox");

// The layer as an uncompressed tar: /bin/busybox, a symlink per applet (as `busybox --list-full`
// places them), /etc/passwd, /etc/group, /etc/hosts, and empty /tmp /proc /sys /dev /root /var.
Result<QByteArray> buildLayer(const QString &busyboxPath, const QStringList &appletPaths);

// The applets busybox at busyboxPath provides, as paths relative to / ("usr/bin/awk").
Result<QStringList> appletPaths(const QString &busyboxPath);

// The image in the store, built into it first when missing.
Result<ImageInfo> ensure(ImageStore &store, const QString &busyboxPath);

} // namespace Hamlet::Containers::BusyboxImage
