#pragma once

#include "archivemembers.h"
#include "imagestore.h"
#include "importprogress.h"
#include "result.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVariantMap>

namespace Hamlet::Containers {

class ImportSource;

// An ImportImage request, checked before any job starts.
struct ImportRequest {
    enum class Format { DockerArchive, OciArchive, Rootfs };
    Format format = Format::Rootfs;
    QString name; // empty: the archive's own tag, else "imported-<short digest>"
    QStringList command; // rootfs only
    QStringList env;
    QString workdir;

    // InvalidArgument for an unknown format, a malformed name, a rootfs without a name, options
    // of the wrong type.
    static Result<ImportRequest> fromOptions(const QString &format, const QVariantMap &options);
};

// Imports one image from an archive stream into the store, as docker-archive (docker save or
// podman save, legacy or OCI-style), oci-archive (a tar of an OCI image layout) or rootfs (a
// plain tarball, gzip/zstd/xz/bzip2 or none). The archive is hostile: every blob is checked
// against its digest and every layer against its diff id, names in manifests cannot leave the
// archive, sizes are capped, and the layers are unpacked here by the LayerExtractor, so a layer
// that tries to escape fails the import. On any failure (or cancel) nothing it added stays in the
// store. Blocks: run it on a worker thread.
class ArchiveImporter
{
public:
    struct Limits {
        quint64 maxArchiveBytes = 256ull * 1024 * 1024 * 1024;
        quint64 maxBlobBytes = 16ull * 1024 * 1024 * 1024; // also what one layer may unpack to
    };

    ArchiveImporter(ImageStore &store, ImportRequest request, Limits limits, ImportProgress &progress);

    // Reads fd from its current position (not closed) and returns the image as tagged.
    Result<ImageInfo> run(int fd);

private:
    struct Layer {
        QString digest; // the blob's
        QString diffId;
        QString mediaType;
        quint64 size = 0;
    };
    // An image whose blobs are in the store (held), not tagged yet.
    struct Assembled {
        QString manifestDigest;
        QList<Layer> layers;
        QString suggestedName; // from the archive; may be empty
    };

    Result<Assembled> assemble(ImportSource &source);
    Result<Assembled> fromRootfs(ImportSource &source);
    Result<Assembled> fromDockerArchive(const ArchiveMembers &members); // imagearchives.cpp
    Result<Assembled> fromOciArchive(const ArchiveMembers &members); // imagearchives.cpp
    ArchiveMembers::Limits memberLimits() const;

    // Commits a layer member: checks it decompresses to expectedDiffId (when given), converts
    // xz/bzip2 to a plain tar when allowed (else refuses them), and holds the blob. A member
    // named twice is committed once.
    Result<Layer> commitLayer(BlobWriter &member, const QString &expectedDiffId, const QString &what,
                              bool allowConversion = true);
    Result<QString> putJson(const QJsonObject &object);
    Result<QString> putManifest(const QString &configDigest, quint64 configSize, const QList<Layer> &layers);
    Status unpack(const QList<Layer> &layers);
    QString nameFor(const Assembled &image) const;

    ImageStore &m_store;
    ImportRequest m_request;
    Limits m_limits;
    ImportProgress &m_progress;
    BlobHolds m_holds;
    QHash<const BlobWriter *, Layer> m_committedLayers;
};

} // namespace Hamlet::Containers
