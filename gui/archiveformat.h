#pragma once

#include <QString>

namespace Hamlet {

// Which ImportImage format an archive most likely is, found by reading its tar headers (not its
// contents): manifest.json means a docker save archive, oci-layout an OCI archive, anything else
// a plain root filesystem. A compressed tarball is taken for a root filesystem (docker and podman
// write their archives uncompressed). Blocking file reads: call it off the UI thread.
struct ArchiveGuess {
    QString format; // "docker-archive", "oci-archive", "rootfs", or "" when the file cannot be read
    QString reason; // a short sentence for the person
};

ArchiveGuess guessArchiveFormat(const QString &path);

} // namespace Hamlet
