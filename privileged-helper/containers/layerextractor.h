#pragma once

#include "result.h"

#include <QString>

namespace Hamlet::Containers {

// Unpacks one image layer (tar, tar.gz, tar.zst) into its own directory, for use as an overlay
// lower dir. The archive is hostile until proven otherwise:
// - every entry is created relative to a directory fd, walking components with O_NOFOLLOW, so
//   nothing is written through a symlink; ".." components fail the unpack; a leading "/" is
//   dropped, as tar does, so absolute names land beneath the layer root;
// - hardlinks may only point at files this layer already holds;
// - whiteouts become overlayfs whiteouts: ".wh.NAME" a 0/0 character device NAME, and
//   ".wh..wh..opq" the xattr trusted.overlay.opaque=y on its directory;
// - device nodes are skipped (a container gets a fresh /dev from the runtime); FIFOs are kept;
// - modes are kept as the OCI image spec asks, setuid/setgid included: the layer store is 0700
//   root-only, so a host user cannot reach those files, and containers run with no_new_privs;
// - xattrs are not applied, so an archive cannot forge overlay (trusted.*) attributes;
// - the bytes written and the number of entries are capped (decompression bombs).
// It unpacks into DEST.staging and renames that to DEST only on success; on failure nothing is
// left. DEST must not exist yet.
class LayerExtractor
{
public:
    struct Limits {
        quint64 maxBytes = 16ull * 1024 * 1024 * 1024;
        quint64 maxEntries = 2'000'000;
        // When set ("sha256:..."), the decompressed tar stream must hash to it (the image config's
        // diff id), checked in the same pass as the unpack; otherwise nothing is published. Layer
        // directories are shared by diff id, so an unchecked one could stand in for another's.
        QString diffId;
    };

    struct Stats {
        quint64 entries = 0;
        quint64 bytes = 0;
    };

    // archiveFd is read from its current position and not closed.
    static Result<Stats> extractFd(int archiveFd, const QString &destination, const Limits &limits);
    static Result<Stats> extractFile(const QString &archivePath, const QString &destination, const Limits &limits);
    static Result<Stats> extractFile(const QString &archivePath, const QString &destination)
    {
        return extractFile(archivePath, destination, Limits {});
    }

    static QString stagingPathFor(const QString &destination) { return destination + QStringLiteral(".staging"); }
};

} // namespace Hamlet::Containers
