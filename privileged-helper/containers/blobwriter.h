#pragma once

#include "fsutil.h"
#include "result.h"

#include <QCryptographicHash>
#include <QString>

namespace Hamlet::Containers {

class BlobHolds;
class ImageStore;

// Streams one blob into the image store: the bytes go to a temporary file under the store's
// temporaryDir() while sha256 runs over them; commit() checks the digest (when the caller knows
// which one to expect) and renames the file into blobs/sha256, so a partial or wrong blob is
// never visible. A writer destroyed without commit() removes its temporary file. For a pull
// (network chunks) or an import (archive members) alike. One thread at a time.
class BlobWriter
{
public:
    // maxBytes: write() fails past it (a hostile source cannot fill the disk).
    BlobWriter(ImageStore &store, quint64 maxBytes);
    ~BlobWriter();
    BlobWriter(const BlobWriter &) = delete;
    BlobWriter &operator=(const BlobWriter &) = delete;

    Status open();
    Status write(const char *data, qint64 size);
    // Syncs and closes the temporary file (the blob stays uncommitted): for callers that keep
    // many writers until they know which ones to keep. No write() after it.
    Status finish();
    quint64 size() const { return m_size; }
    // "sha256:HEX" of what was written; call it after the last write().
    QString digest() const;
    // The temporary file, readable until commit() (to look inside before keeping it).
    QString temporaryPath() const { return m_path; }

    // Moves the blob into the store and holds it there (holds may be null). expectedDigest
    // empty: any content; else a mismatch fails, naming both digests, and stores nothing.
    Result<QString> commit(BlobHolds *holds, const QString &expectedDigest = {});

private:
    ImageStore &m_store;
    quint64 m_maxBytes;
    quint64 m_size = 0;
    QString m_path;
    UniqueFd m_fd;
    QCryptographicHash m_hash {QCryptographicHash::Sha256};
    bool m_committed = false;
    bool m_finished = false;
};

// Copies everything readable from fd (to EOF) into the store as a checked blob.
Result<QString> putBlobFromFd(ImageStore &store, int fd, quint64 maxBytes, BlobHolds *holds,
                              const QString &expectedDigest = {});

} // namespace Hamlet::Containers
