#pragma once

#include "blobwriter.h"
#include "result.h"

#include <QHash>
#include <QJsonDocument>
#include <QString>

#include <memory>

namespace Hamlet::Containers {

class ImageStore;
class ImportSource;

// The members of an image archive (docker save, oci-archive), read in one pass from a stream:
// each regular file is spooled into the store's temporary dir as an uncommitted blob, so the
// source need not be seekable and manifest.json may come last. Member names are only keys:
// nothing is ever created under an archive's own names. Links among members are followed
// within the archive only; what the manifests name is cleaned first (no "..", no "/").
class ArchiveMembers
{
public:
    struct Limits {
        quint64 maxMemberBytes = 0;
        quint64 maxMembers = 100'000;
        quint64 maxJsonBytes = 4 * 1024 * 1024;
    };

    static Result<ArchiveMembers> read(ImportSource &source, ImageStore &store, const Limits &limits);

    // A name from a manifest as a member key: refuses absolute names, ".." and empty ones.
    static Result<QString> cleanReference(const QString &name, const QString &where);

    // The member under that (clean) name after following links; null when the archive has none.
    BlobWriter *find(const QString &name) const;
    // The member parsed as JSON; NotFound-ish Failed naming it when absent, too big or not JSON.
    Result<QJsonDocument> json(const QString &name) const;
    // Every regular member, by its own name (for checking the blobs of an OCI layout).
    const QHash<QString, std::shared_ptr<BlobWriter>> &files() const { return m_files; }

private:
    Limits m_limits;
    QHash<QString, std::shared_ptr<BlobWriter>> m_files;
    QHash<QString, QString> m_links; // name -> target name, both clean
};

} // namespace Hamlet::Containers
