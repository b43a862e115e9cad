#pragma once

#include "result.h"

#include <QString>
#include <QStringList>

namespace Hamlet::Vms::ImageDisk {

// The root filesystem of an image VM. Why an ext4 disk and not virtio-9p/virtiofs of the unpacked
// layers: the guest then needs no share driver (Debian's kernel has ext4 built in and virtio_blk
// as a module, no virtiofsd under TCG or the system libvirtd), boots from a plain block device,
// and its writes stay in its own qcow2 overlay instead of reaching the store's shared layers.
//
// The disk is made without mounting anything: the layers are merged into a staging directory
// (hard links to the unpacked files, overlayfs whiteouts and opaque directories applied), and
// `mkfs.ext4 -d` copies that tree, owners and modes included. One disk per image digest, cached
// under STATE/vms/images and shared read-only by every VM of the image through its overlay.

struct BaseDisk {
    QString path;
    bool made = false; // false: the cached disk was reused (no mkfs)
};

// Merges layer directories (bottom first, overlayfs whiteouts) into target, an empty directory.
// Returns about how many bytes the tree holds. Blocking.
Result<quint64> mergeLayers(const QStringList &layersBottomFirst, const QString &target);

// STATE/vms/images/HEX.ext4 for the manifest digest "sha256:HEX".
QString baseDiskPath(const QString &stateDir, const QString &digest);

// Makes the cached disk of the image unless it exists. Blocking; one at a time per helper.
Result<BaseDisk> ensureBase(const QString &stateDir, const QString &digest, const QStringList &layersBottomFirst,
                            const QString &mkfs = QStringLiteral("mkfs.ext4"));

// A qcow2 overlay of the VM's own on top of the base (raw). Blocking.
Result<void> createOverlay(const QString &qemuImg, const QString &base, const QString &overlay);

} // namespace Hamlet::Vms::ImageDisk
