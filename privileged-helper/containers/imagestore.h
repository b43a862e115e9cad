#pragma once

#include "imageconfig.h"
#include "result.h"

#include <QJsonObject>
#include <QList>
#include <QMutex>
#include <QString>
#include <QStringList>

namespace Hamlet::Containers {

// One image of the store, as its manifest and config describe it.
struct ImageInfo {
    QString name; // the index's org.opencontainers.image.ref.name, e.g. "busybox"
    QString manifestDigest; // "sha256:..."
    QString configDigest;
    QStringList layerDigests; // blobs, bottom layer first
    QStringList diffIds; // uncompressed layer digests (config rootfs.diff_ids), bottom first
    quint64 size = 0; // bytes of the layer blobs
    ImageConfig config;
};

// An OCI image layout (oci-layout, index.json, blobs/sha256/HEX) under STATE/images, plus the
// unpacked layers under STATE/images/layers/HEX (HEX of the diff id), each unpacked once and
// shared, read-only, by every container of every image that has it. Blobs are content-addressed
// and written atomically, and index.json is rewritten atomically, so a crash never leaves a
// corrupt store. Every method blocks on disk I/O: call it from a worker thread. Methods are
// thread-safe.
class ImageStore
{
public:
    explicit ImageStore(QString root);

    // Creates the layout when missing (0700: layers keep setuid files).
    Status initialize();

    QString root() const { return m_root; }
    QString blobPath(const QString &digest) const;
    QString layerPath(const QString &diffId) const;

    // Stores data as a blob and returns its digest ("sha256:HEX").
    Result<QString> putBlob(const QByteArray &data);
    Result<QByteArray> readBlob(const QString &digest) const;

    // Records name -> manifest in index.json (replacing an image of that name). The manifest's
    // config and layer blobs must already be stored.
    Result<ImageInfo> tagManifest(const QString &name, const QString &manifestDigest);

    Result<ImageInfo> image(const QString &name) const; // NotFound when absent
    QList<ImageInfo> images() const;
    bool contains(const QString &name) const { return image(name).ok(); }
    // Drops the name from the index; blobs and layers stay until garbageCollect().
    Status removeImage(const QString &name);
    // Removes blobs and unpacked layers that no image refers to, given layers still in use by
    // containers (their diff ids). Returns how many bytes it freed.
    quint64 garbageCollect(const QStringList &diffIdsInUse);

    // Unpacks the layers not unpacked yet and returns the layer directories, TOP layer first:
    // the order of overlayfs lowerdir=.
    Result<QStringList> unpackLayers(const ImageInfo &image);

    // Streams the blob through sha256: a layer is checked before it is unpacked.
    Status verifyBlob(const QString &digest) const;

    // For pulls (imagestorepull.cpp): blobs stream into incoming/, which initialize() empties (an
    // interrupted pull leaves nothing), and are adopted once their digest was checked.
    QString incomingDir() const { return m_root + QStringLiteral("/incoming"); }
    bool hasBlob(const QString &digest) const;
    bool hasLayer(const QString &diffId) const;
    // Moves a file whose content the caller verified against digest into blobs/.
    Status adoptBlob(const QString &verifiedFile, const QString &digest);
    // Unpacks one layer from a blob the caller verified, unless it is unpacked already; the
    // uncompressed content must hash to diffId.
    Status unpackVerifiedLayer(const QString &digest, const QString &diffId);
    // The undo of a failed pull: removes these blobs and unpacked layers unless an image of the
    // index refers to them.
    void discardUnreferenced(const QStringList &blobDigests, const QStringList &diffIds);

    // "sha256:" + hex of data.
    static QString digestOf(const QByteArray &data);
    // Accepts only "sha256:" + 64 lower-case hex digits: a digest becomes a path.
    static bool isValidDigest(const QString &digest);

private:
    Result<ImageInfo> infoFor(const QString &name, const QString &manifestDigest) const;
    Result<QJsonObject> readIndex() const;
    Status writeIndex(const QJsonObject &index);

    QString m_root;
    mutable QMutex m_indexMutex;
    QMutex m_unpackMutex;
};

} // namespace Hamlet::Containers
