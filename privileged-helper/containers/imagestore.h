#pragma once

#include "imageconfig.h"
#include "layerextractor.h"
#include "result.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMutex>
#include <QSet>
#include <QString>
#include <QStringList>

namespace Hamlet::Containers {

// Where an image came from, recorded in index.json (annotation dev.hamlet.source).
namespace ImageSource {
inline const QString Builtin = QStringLiteral("builtin");
inline const QString Registry = QStringLiteral("registry");
inline const QString Archive = QStringLiteral("archive");
} // namespace ImageSource

// One image of the store, as its manifest and config describe it.
struct ImageInfo {
    QString name; // the index's org.opencontainers.image.ref.name, e.g. "busybox"
    QString manifestDigest; // "sha256:..."
    QString configDigest;
    QStringList layerDigests; // blobs, bottom layer first
    QStringList diffIds; // uncompressed layer digests (config rootfs.diff_ids), bottom first
    quint64 size = 0; // bytes of the layer blobs
    ImageConfig config;
    QString source; // ImageSource::*; empty for an image tagged without one
    QDateTime addedAt; // when it entered the store (UTC)
    QDateTime created; // the config's "created" (UTC); invalid when the image does not say
};

class ImageStore;

// Keeps blobs and unpacked layers from garbageCollect() while an image is assembled from them
// (an import or a pull in progress): hold each one before it appears in the store, and let go
// only after tagManifest(). On failure, discardCreated() removes what this holder added itself
// and no image refers to, so a failed import or pull leaves nothing behind; blobs and layers
// that were already there stay. Not thread-safe itself (one per job), safe against the store.
class BlobHolds
{
public:
    explicit BlobHolds(ImageStore &store);
    ~BlobHolds();
    BlobHolds(const BlobHolds &) = delete;
    BlobHolds &operator=(const BlobHolds &) = delete;

    // created: this holder is putting the blob (or unpacking the layer) there.
    void hold(const QString &blobDigest, bool created);
    void holdLayer(const QString &diffId, bool created);
    void discardCreated();

private:
    void holdHex(const QString &hex);

    ImageStore &m_store;
    QStringList m_held;
    QSet<QString> m_createdBlobs;
    QSet<QString> m_createdLayers;
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
    // Where blobs are written before they are complete (BlobWriter); emptied by initialize().
    QString temporaryDir() const;
    // The caps of unpacking one layer (decompression bombs); settable for tests.
    void setLayerLimits(const LayerExtractor::Limits &limits) { m_layerLimits = limits; }
    LayerExtractor::Limits layerLimits() const { return m_layerLimits; }

    // Stores data as a blob and returns its digest ("sha256:HEX").
    Result<QString> putBlob(const QByteArray &data);
    Result<QByteArray> readBlob(const QString &digest) const;

    // Records name -> manifest in index.json (replacing an image of that name), with its origin
    // (ImageSource::*) and the time it entered the store as annotations. The manifest's config
    // and layer blobs must already be stored.
    Result<ImageInfo> tagManifest(const QString &name, const QString &manifestDigest, const QString &source);
    // As above, keeping the source an image of that name had (none when new).
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
    // Unpacks one layer blob unless its directory exists; true when it unpacked it now.
    Result<bool> unpackLayer(const QString &layerDigest, const QString &diffId);

    // Streams the blob through sha256: a layer is checked before it is unpacked.
    Status verifyBlob(const QString &digest) const;

    // "sha256:" + hex of data.
    static QString digestOf(const QByteArray &data);
    // Accepts only "sha256:" + 64 lower-case hex digits: a digest becomes a path.
    static bool isValidDigest(const QString &digest);

private:
    friend class BlobHolds;
    QSet<QString> heldHexes() const; // under m_holdMutex

    Result<ImageInfo> infoFor(const QString &name, const QString &manifestDigest) const;
    Result<QJsonObject> readIndex() const;
    Status writeIndex(const QJsonObject &index);

    QString m_root;
    mutable QMutex m_indexMutex;
    QMutex m_unpackMutex;
    // Taken by garbageCollect() for its whole run and by every hold and release, so a blob is
    // either held when the collector looks or put in the store after it finished.
    mutable QMutex m_holdMutex;
    QHash<QString, int> m_holds; // hex -> holders
    LayerExtractor::Limits m_layerLimits;
};

} // namespace Hamlet::Containers
