#include "imagestore.h"

#include "fsutil.h"
#include "layerextractor.h"
#include "logging.h"
#include "sha256.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

namespace Hamlet::Containers {

namespace {

const QString kRefName = QStringLiteral("org.opencontainers.image.ref.name");
const QString kSource = QStringLiteral("dev.hamlet.source");
const QString kAddedAt = QStringLiteral("dev.hamlet.added-at");
const QString kManifestType = QStringLiteral("application/vnd.oci.image.manifest.v1+json");

QString hexOf(const QString &digest)
{
    return digest.mid(QStringLiteral("sha256:").size());
}

Result<QJsonObject> parseObject(const QByteArray &data, const QString &what)
{
    QJsonParseError error {};
    const QJsonDocument document = QJsonDocument::fromJson(data, &error);
    if (!document.isObject())
        return failed(QStringLiteral("%1 is not a JSON object: %2").arg(what, error.errorString()));
    return document.object();
}

QStringList stringList(const QJsonValue &value)
{
    QStringList list;
    for (const auto &item : value.toArray())
        list << item.toString();
    return list;
}

QString refNameOf(const QJsonValue &entry)
{
    return entry[QStringLiteral("annotations")][kRefName].toString();
}

// The origin recorded beside the manifest; an image from before these annotations existed gets
// the manifest blob's time as the best guess of when it was added.
void readAnnotations(ImageInfo &info, const QJsonValue &entry, const QString &manifestPath)
{
    const QJsonValue annotations = entry[QStringLiteral("annotations")];
    info.source = annotations[kSource].toString();
    info.addedAt = QDateTime::fromString(annotations[kAddedAt].toString(), Qt::ISODate);
    if (!info.addedAt.isValid())
        info.addedAt = QFileInfo(manifestPath).lastModified().toUTC();
}

} // namespace

ImageStore::ImageStore(QString root)
    : m_root(std::move(root))
{ }

QString ImageStore::digestOf(const QByteArray &data)
{
    return QStringLiteral("sha256:")
        + QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

bool ImageStore::isValidDigest(const QString &digest)
{
    static const QRegularExpression pattern(QStringLiteral("^sha256:[0-9a-f]{64}$"));
    return pattern.match(digest).hasMatch();
}

QString ImageStore::blobPath(const QString &digest) const
{
    return m_root + QStringLiteral("/blobs/sha256/") + hexOf(digest);
}

QString ImageStore::layerPath(const QString &diffId) const
{
    return m_root + QStringLiteral("/layers/") + hexOf(diffId);
}

QString ImageStore::temporaryDir() const
{
    return m_root + QStringLiteral("/tmp");
}

Status ImageStore::initialize()
{
    // Blobs half-written by a crashed import or pull: never complete, never used.
    removeTree(temporaryDir());
    for (const QString &dir :
         {m_root, m_root + QStringLiteral("/blobs/sha256"), m_root + QStringLiteral("/layers"), temporaryDir()}) {
        if (!QDir().mkpath(dir))
            return failed(QStringLiteral("cannot create the image store directory %1").arg(dir));
    }
    QFile::setPermissions(m_root, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    const QString layout = m_root + QStringLiteral("/oci-layout");
    if (!QFile::exists(layout)) {
        if (Status written = writeFileAtomically(layout, R"({"imageLayoutVersion":"1.0.0"})"); !written)
            return written;
    }
    if (!QFile::exists(m_root + QStringLiteral("/index.json"))) {
        const QMutexLocker locker(&m_indexMutex);
        if (Status written = writeIndex(
                QJsonObject {{QStringLiteral("schemaVersion"), 2}, {QStringLiteral("manifests"), QJsonArray {}}});
            !written)
            return written;
    }
    // Blobs and index.json half-written by writeFileAtomically when the helper died.
    for (const QString &dir : {m_root, m_root + QStringLiteral("/blobs/sha256")}) {
        for (const QString &leftover : QDir(dir).entryList({QStringLiteral("*.tmp")}, QDir::Files | QDir::System))
            QFile::remove(dir + QLatin1Char('/') + leftover);
    }
    // Half-unpacked layers from a crash: never complete, never used.
    QDirIterator staging(m_root + QStringLiteral("/layers"), {QStringLiteral("*.staging")}, QDir::Dirs);
    while (staging.hasNext())
        removeTree(staging.next());
    return success();
}

Result<QString> ImageStore::putBlob(const QByteArray &data)
{
    const QString digest = digestOf(data);
    if (QFile::exists(blobPath(digest)))
        return digest;
    if (Status written = writeFileAtomically(blobPath(digest), data, 0644); !written)
        return written.error();
    return digest;
}

Result<QByteArray> ImageStore::readBlob(const QString &digest) const
{
    if (!isValidDigest(digest))
        return failed(QStringLiteral("\"%1\" is not a sha256 digest").arg(digest));
    bool ok = false;
    QByteArray data = readSmallFile(blobPath(digest), &ok);
    if (!ok)
        return ErrorReply {Error::NotFound, QStringLiteral("blob %1 is not in the image store").arg(digest)};
    if (digestOf(data) != digest)
        return failed(QStringLiteral("blob %1 is corrupt (its content does not match its digest): remove the image "
                                     "and add it again")
                          .arg(digest));
    return data;
}

Result<QJsonObject> ImageStore::readIndex() const
{
    bool ok = false;
    const QByteArray data = readSmallFile(m_root + QStringLiteral("/index.json"), &ok);
    if (!ok)
        return failed(QStringLiteral("cannot read %1/index.json: is the image store initialized?").arg(m_root));
    return parseObject(data, m_root + QStringLiteral("/index.json"));
}

Status ImageStore::writeIndex(const QJsonObject &index)
{
    return writeFileAtomically(m_root + QStringLiteral("/index.json"), QJsonDocument(index).toJson(), 0644);
}

Result<ImageInfo> ImageStore::infoFor(const QString &name, const QString &manifestDigest) const
{
    const Result<QByteArray> manifestData = readBlob(manifestDigest);
    if (!manifestData)
        return manifestData.error();
    const Result<QJsonObject> manifest = parseObject(*manifestData, QStringLiteral("manifest ") + manifestDigest);
    if (!manifest)
        return manifest.error();
    ImageInfo info;
    info.name = name;
    info.manifestDigest = manifestDigest;
    info.configDigest = manifest->value(QStringLiteral("config"))[QStringLiteral("digest")].toString();
    for (const auto &layer : manifest->value(QStringLiteral("layers")).toArray()) {
        info.layerDigests << layer[QStringLiteral("digest")].toString();
        info.size += static_cast<quint64>(layer[QStringLiteral("size")].toInteger());
    }
    const Result<QByteArray> configData = readBlob(info.configDigest);
    if (!configData)
        return configData.error();
    const Result<QJsonObject> config = parseObject(*configData, QStringLiteral("image config ") + info.configDigest);
    if (!config)
        return config.error();
    info.config = ImageConfig::fromImageConfigJson(*config);
    info.created = QDateTime::fromString(config->value(QStringLiteral("created")).toString(), Qt::ISODate).toUTC();
    info.diffIds = stringList(config->value(QStringLiteral("rootfs"))[QStringLiteral("diff_ids")]);
    if (info.diffIds.size() != info.layerDigests.size())
        return failed(QStringLiteral("image %1 is inconsistent: %2 layers but %3 diff ids")
                          .arg(name)
                          .arg(info.layerDigests.size())
                          .arg(info.diffIds.size()));
    for (const QString &digest : info.layerDigests + info.diffIds) {
        if (!isValidDigest(digest))
            return failed(QStringLiteral("image %1 names an invalid digest \"%2\"").arg(name, digest));
    }
    return info;
}

Result<ImageInfo> ImageStore::tagManifest(const QString &name, const QString &manifestDigest)
{
    return tagManifest(name, manifestDigest, QString());
}

Result<ImageInfo> ImageStore::tagManifest(const QString &name, const QString &manifestDigest, const QString &source)
{
    Result<ImageInfo> info = infoFor(name, manifestDigest);
    if (!info)
        return info;
    const QMutexLocker locker(&m_indexMutex);
    Result<QJsonObject> index = readIndex();
    if (!index)
        return index.error();
    QJsonArray manifests;
    QString keptSource = source;
    for (const auto &entry : index->value(QStringLiteral("manifests")).toArray()) {
        if (refNameOf(entry) != name)
            manifests.append(entry);
        else if (keptSource.isEmpty())
            keptSource = entry[QStringLiteral("annotations")][kSource].toString();
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QJsonObject annotations {{kRefName, name}, {kAddedAt, now.toString(Qt::ISODate)}};
    if (!keptSource.isEmpty())
        annotations.insert(kSource, keptSource);
    const QJsonObject entry {
        {QStringLiteral("mediaType"), kManifestType},
        {QStringLiteral("digest"), manifestDigest},
        {QStringLiteral("size"), QFileInfo(blobPath(manifestDigest)).size()},
        {QStringLiteral("annotations"), annotations},
    };
    manifests.append(entry);
    index->insert(QStringLiteral("manifests"), manifests);
    if (Status written = writeIndex(*index); !written)
        return written.error();
    readAnnotations(*info, entry, blobPath(manifestDigest));
    return info;
}

Result<ImageInfo> ImageStore::image(const QString &name) const
{
    Result<QJsonObject> index = [this] {
        const QMutexLocker locker(&m_indexMutex);
        return readIndex();
    }();
    if (!index)
        return index.error();
    for (const auto &entry : index->value(QStringLiteral("manifests")).toArray()) {
        if (refNameOf(entry) != name)
            continue;
        const QString digest = entry[QStringLiteral("digest")].toString();
        Result<ImageInfo> info = infoFor(name, digest);
        if (info)
            readAnnotations(*info, entry, blobPath(digest));
        return info;
    }
    return ErrorReply {Error::NotFound, QStringLiteral("there is no image \"%1\": pull or import it first").arg(name)};
}

QList<ImageInfo> ImageStore::images() const
{
    Result<QJsonObject> index = [this] {
        const QMutexLocker locker(&m_indexMutex);
        return readIndex();
    }();
    QList<ImageInfo> list;
    if (!index)
        return list;
    for (const auto &entry : index->value(QStringLiteral("manifests")).toArray()) {
        const QString digest = entry[QStringLiteral("digest")].toString();
        Result<ImageInfo> info = infoFor(refNameOf(entry), digest);
        if (info) {
            readAnnotations(*info, entry, blobPath(digest));
            list << *info;
        } else
            Log::containers()->warn("image store: skipping a broken image: {}", info.error().message);
    }
    return list;
}

Status ImageStore::removeImage(const QString &name)
{
    const QMutexLocker locker(&m_indexMutex);
    Result<QJsonObject> index = readIndex();
    if (!index)
        return index.error();
    QJsonArray manifests;
    bool found = false;
    for (const auto &entry : index->value(QStringLiteral("manifests")).toArray()) {
        if (refNameOf(entry) == name)
            found = true;
        else
            manifests.append(entry);
    }
    if (!found)
        return ErrorReply {Error::NotFound, QStringLiteral("there is no image \"%1\"").arg(name)};
    index->insert(QStringLiteral("manifests"), manifests);
    return writeIndex(*index);
}

quint64 ImageStore::garbageCollect(const QStringList &diffIdsInUse)
{
    // Unpack lock first, as everywhere: holds are taken while a layer unpacks, so holding the
    // hold lock while waiting for an unpack would stall every job that takes a hold.
    const QMutexLocker locker(&m_unpackMutex);
    const QMutexLocker holdLocker(&m_holdMutex);
    QSet<QString> blobs = heldHexes();
    QSet<QString> layers = blobs;
    for (const QString &id : diffIdsInUse)
        layers.insert(hexOf(id));
    for (const ImageInfo &info : images()) {
        blobs << hexOf(info.manifestDigest) << hexOf(info.configDigest);
        for (const QString &digest : info.layerDigests)
            blobs << hexOf(digest);
        for (const QString &diffId : info.diffIds)
            layers << hexOf(diffId);
    }
    quint64 freed = 0;
    for (const QFileInfo &blob : QDir(m_root + QStringLiteral("/blobs/sha256")).entryInfoList(QDir::Files)) {
        // "*.tmp": a blob being written right now (writeFileAtomically), not yet a blob.
        if (!blobs.contains(blob.fileName()) && !blob.fileName().endsWith(QLatin1String(".tmp"))) {
            freed += static_cast<quint64>(blob.size());
            QFile::remove(blob.filePath());
        }
    }
    for (const QFileInfo &layer :
         QDir(m_root + QStringLiteral("/layers")).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (!layers.contains(layer.fileName()))
            removeTree(layer.filePath());
    }
    return freed;
}

QSet<QString> ImageStore::heldHexes() const
{
    QSet<QString> hexes;
    for (auto it = m_holds.cbegin(); it != m_holds.cend(); ++it)
        hexes.insert(it.key());
    return hexes;
}

BlobHolds::BlobHolds(ImageStore &store)
    : m_store(store)
{ }

BlobHolds::~BlobHolds()
{
    release();
}

void BlobHolds::release()
{
    const QMutexLocker locker(&m_store.m_holdMutex);
    for (const QString &hex : std::as_const(m_held)) {
        if (--m_store.m_holds[hex] <= 0)
            m_store.m_holds.remove(hex);
    }
    m_held.clear();
    m_createdBlobs.clear();
    m_createdLayers.clear();
}

void BlobHolds::holdHex(const QString &hex)
{
    const QMutexLocker locker(&m_store.m_holdMutex);
    if (!m_held.contains(hex)) {
        m_held << hex;
        ++m_store.m_holds[hex];
    }
}

void BlobHolds::hold(const QString &blobDigest, bool created)
{
    holdHex(hexOf(blobDigest));
    if (created)
        m_createdBlobs.insert(blobDigest);
}

void BlobHolds::holdLayer(const QString &diffId, bool created)
{
    holdHex(hexOf(diffId));
    if (created)
        m_createdLayers.insert(diffId);
}

void BlobHolds::discardCreated()
{
    const QMutexLocker unpackLocker(&m_store.m_unpackMutex); // before the hold lock: see garbageCollect
    const QMutexLocker holdLocker(&m_store.m_holdMutex);
    QSet<QString> blobs;
    QSet<QString> layers;
    for (const ImageInfo &info : m_store.images()) {
        blobs << info.manifestDigest << info.configDigest;
        for (const QString &digest : info.layerDigests)
            blobs << digest;
        for (const QString &diffId : info.diffIds)
            layers << diffId;
    }
    // Another job holding one too may be about to use it.
    auto sharedOrReferenced = [&](const QSet<QString> &referenced, const QString &digest) {
        return referenced.contains(digest) || m_store.m_holds.value(hexOf(digest)) > 1;
    };
    for (const QString &digest : std::as_const(m_createdBlobs)) {
        if (!sharedOrReferenced(blobs, digest))
            QFile::remove(m_store.blobPath(digest));
    }
    for (const QString &diffId : std::as_const(m_createdLayers)) {
        if (!sharedOrReferenced(layers, diffId))
            removeTree(m_store.layerPath(diffId));
    }
    m_createdBlobs.clear();
    m_createdLayers.clear();
}

Status ImageStore::verifyBlob(const QString &digest) const
{
    QFile blob(blobPath(digest));
    if (!isValidDigest(digest) || !blob.open(QIODevice::ReadOnly))
        return ErrorReply {Error::NotFound, QStringLiteral("blob %1 is not in the image store").arg(digest)};
    Sha256 hash;
    QByteArray buffer(256 * 1024, Qt::Uninitialized);
    qint64 read = 0;
    while ((read = blob.read(buffer.data(), buffer.size())) > 0)
        hash.add(buffer.constData(), static_cast<size_t>(read));
    if (read < 0)
        return failed(QStringLiteral("cannot read blob %1: %2").arg(digest, blob.errorString()));
    if (hash.digest() != digest)
        return failed(QStringLiteral("blob %1 is corrupt (its content does not match its digest): remove the image "
                                     "and add it again")
                          .arg(digest));
    return success();
}

Result<QStringList> ImageStore::unpackLayers(const ImageInfo &image)
{
    QStringList topFirst;
    for (qsizetype i = 0; i < image.layerDigests.size(); ++i) {
        const Result<bool> unpacked = unpackLayer(image.layerDigests.at(i), image.diffIds.at(i));
        if (!unpacked)
            return ErrorReply {unpacked.error().name,
                               QStringLiteral("cannot unpack a layer of image %1 into %2: %3")
                                   .arg(image.name, layerPath(image.diffIds.at(i)), unpacked.error().message)};
        topFirst.prepend(layerPath(image.diffIds.at(i)));
    }
    return topFirst;
}

Result<bool> ImageStore::unpackLayer(const QString &layerDigest, const QString &diffId)
{
    if (!isValidDigest(layerDigest) || !isValidDigest(diffId))
        return invalidArgument(QStringLiteral("\"%1\" / \"%2\" is not a sha256 digest").arg(layerDigest, diffId));
    // One unpack at a time: two creates of the same new image must not race on one layer dir.
    const QMutexLocker locker(&m_unpackMutex);
    const QString dir = layerPath(diffId);
    if (QFileInfo(dir).isDir())
        return false;
    Log::containers()->info("unpacking layer {}", diffId);
    if (Status intact = verifyBlob(layerDigest); !intact)
        return intact.error();
    // Layer directories are shared by diff id: the content must be what that name promises.
    LayerExtractor::Limits limits = m_layerLimits;
    limits.diffId = diffId;
    const auto stats = LayerExtractor::extractFile(blobPath(layerDigest), dir, limits);
    if (!stats)
        return stats.error();
    return true;
}

bool ImageStore::hasBlob(const QString &digest) const
{
    return isValidDigest(digest) && QFileInfo(blobPath(digest)).isFile();
}

bool ImageStore::hasLayer(const QString &diffId) const
{
    return isValidDigest(diffId) && QFileInfo(layerPath(diffId)).isDir();
}

} // namespace Hamlet::Containers
