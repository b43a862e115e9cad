#pragma once

#include <QString>
#include <QVariantMap>

namespace Hamlet {

// Inspect's "measured" part: what Compare puts side by side, measured here once so that the
// window and hamletctl show the same figures. From the instance's Inspect parts and the
// FirstOutputWatch facts, it adds: hostMemoryBytes (a container's cgroup memory usage; a VM's
// QEMU resident set from /proc/PID/status), diskOwnBytes (blocks allocated to a container's upper
// dir, or a VM's own disk files: an image VM's qcow2 overlay), diskSharedBytes (the image layers
// a container stacks on, or an image VM's ext4 disk, shared by every instance of the image),
// hostKernelRelease, kernelRelease and kernelShared, and walls (as: the isolation parts in force,
// in words) with wallsSummary (one line). Each figure names where it was read (…Source); a figure
// that could not be read is left out and its key named under "unknown" with the reason.
namespace CompareFacts {

QVariantMap measured(const QString &kind, const QVariantMap &parts, const QVariantMap &firstOutput,
                     const QString &stateDir);

// Blocks allocated (st_blocks * 512) under a path, each inode once, symlinks not followed; -1
// when the path cannot be read.
qint64 allocatedBytes(const QString &path);

} // namespace CompareFacts

} // namespace Hamlet
