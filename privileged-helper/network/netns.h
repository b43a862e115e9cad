#pragma once

#include "result.h"

#include <QString>

namespace Hamlet::Network {

// A network namespace kept alive by a bind mount on a file (as `ip netns add` and podman do), so
// that it exists before the container's first process (the CNI plugins configure it, then the
// runtime joins it by path) and after its last one (the plugins' DEL still finds the veth).
// Its loopback is up, as in a namespace the runtime would have made.
Containers::Status createNetns(const QString &path);
// Unmounts and removes the file; nothing to do when it does not exist.
Containers::Status removeNetns(const QString &path);
bool netnsExists(const QString &path);

} // namespace Hamlet::Network
