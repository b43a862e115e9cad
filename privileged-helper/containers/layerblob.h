#pragma once

#include "result.h"

#include <QString>

namespace Hamlet::Containers {

class BlobWriter;
class ImportProgress;

// What an image layer blob is, from its own bytes (an archive's word for it is not trusted).
namespace LayerBlob {

enum class Compression { None, Gzip, Zstd, Xz, Bzip2 };

Compression detect(const QString &path);
// The OCI media type of a layer so compressed (xz and bzip2 have none: convert those).
QString mediaType(Compression compression);

// Reads the blob through its decompressor and returns the digest of the uncompressed bytes (the
// layer's diff id), also writing them to sink when given. A damaged stream (truncated gzip,
// bad zstd frame) fails, naming what, and so does one that inflates past maxBytes (a bomb).
// Checks progress for cancellation between chunks.
Result<QString> uncompressedDigest(const QString &path, quint64 maxBytes, BlobWriter *sink,
                                   const ImportProgress &progress);

} // namespace LayerBlob
} // namespace Hamlet::Containers
