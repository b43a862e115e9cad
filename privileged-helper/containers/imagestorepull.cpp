#include "fsutil.h"
#include "imagestore.h"
#include "layerextractor.h"
#include "logging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSet>

#include <cerrno>
#include <cstdio>

namespace Hamlet::Containers {

bool ImageStore::hasBlob(const QString &digest) const
{
    return isValidDigest(digest) && QFileInfo(blobPath(digest)).isFile();
}

bool ImageStore::hasLayer(const QString &diffId) const
{
    return isValidDigest(diffId) && QFileInfo(layerPath(diffId)).isDir();
}

Status ImageStore::adoptBlob(const QString &verifiedFile, const QString &digest)
{
    if (!isValidDigest(digest))
        return invalidArgument(QStringLiteral("\"%1\" is not a sha256 digest").arg(digest));
    QFile::setPermissions(verifiedFile, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
    if (::rename(QFile::encodeName(verifiedFile).constData(), QFile::encodeName(blobPath(digest)).constData()) != 0)
        return failed(errnoMessage(QStringLiteral("cannot move a downloaded blob to"), blobPath(digest), errno));
    return success();
}

Status ImageStore::unpackVerifiedLayer(const QString &digest, const QString &diffId)
{
    if (!isValidDigest(digest) || !isValidDigest(diffId))
        return invalidArgument(QStringLiteral("invalid layer digest \"%1\" or diff id \"%2\"").arg(digest, diffId));
    const QMutexLocker locker(&m_unpackMutex);
    if (hasLayer(diffId))
        return success();
    LayerExtractor::Limits limits;
    limits.diffId = diffId;
    const auto stats = LayerExtractor::extractFile(blobPath(digest), layerPath(diffId), limits);
    if (!stats)
        return ErrorReply {stats.error().name,
                           QStringLiteral("cannot unpack layer %1: %2").arg(digest, stats.error().message)};
    return success();
}

void ImageStore::discardUnreferenced(const QStringList &blobDigests, const QStringList &diffIds)
{
    QSet<QString> referenced;
    for (const ImageInfo &info : images()) {
        for (const QString &digest :
             QStringList {info.manifestDigest, info.configDigest} + info.layerDigests + info.diffIds)
            referenced.insert(digest);
    }
    for (const QString &digest : blobDigests) {
        if (isValidDigest(digest) && !referenced.contains(digest))
            QFile::remove(blobPath(digest));
    }
    const QMutexLocker locker(&m_unpackMutex);
    for (const QString &diffId : diffIds) {
        if (isValidDigest(diffId) && !referenced.contains(diffId))
            removeTree(layerPath(diffId));
    }
}

} // namespace Hamlet::Containers
