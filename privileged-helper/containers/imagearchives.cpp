// The two image-archive formats of ArchiveImporter: docker save (manifest.json) and an OCI image
// layout in a tar (oci-layout, index.json, blobs/). Both only read what ArchiveMembers spooled.
#include "archiveimporter.h"
#include "imagename.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace Hamlet::Containers {

namespace {

const QString kRefName = QStringLiteral("org.opencontainers.image.ref.name");

bool isIndexType(const QString &mediaType)
{
    return mediaType == QStringLiteral("application/vnd.oci.image.index.v1+json")
        || mediaType == QStringLiteral("application/vnd.docker.distribution.manifest.list.v2+json");
}

// The config's diff ids, as many as the image has layers, each a valid digest.
Result<QStringList> diffIdsOf(const QJsonObject &config, qsizetype layerCount, const QString &what)
{
    QStringList diffIds;
    for (const auto &value : config.value(QStringLiteral("rootfs"))[QStringLiteral("diff_ids")].toArray()) {
        if (!ImageStore::isValidDigest(value.toString()))
            return invalidArgument(QStringLiteral("%1 lists a layer diff id that is not a sha256 digest: \"%2\"")
                                       .arg(what, value.toString().left(80)));
        diffIds << value.toString();
    }
    if (diffIds.size() != layerCount)
        return invalidArgument(
            QStringLiteral("%1 lists %2 layer diff ids for %3 layers").arg(what).arg(diffIds.size()).arg(layerCount));
    return diffIds;
}

Result<QJsonObject> objectOf(const Result<QJsonDocument> &document, const QString &what)
{
    if (!document)
        return document.error();
    if (!document->isObject())
        return invalidArgument(QStringLiteral("%1 is not a JSON object").arg(what));
    return document->object();
}

QString blobKey(const QString &digest)
{
    return QStringLiteral("blobs/sha256/") + digest.mid(QStringLiteral("sha256:").size());
}

} // namespace

Result<ArchiveImporter::Assembled> ArchiveImporter::fromDockerArchive(const ArchiveMembers &members)
{
    const Result<QJsonDocument> manifestDocument = members.json(QStringLiteral("manifest.json"));
    if (!manifestDocument)
        return ErrorReply {manifestDocument.error().name,
                           manifestDocument.error().message + QStringLiteral(" (is this a docker save archive?)")};
    const QJsonArray images = manifestDocument->array();
    if (!manifestDocument->isArray() || images.isEmpty() || !images.first().isObject())
        return invalidArgument(QStringLiteral("manifest.json of the archive lists no image"));
    const QJsonObject image = images.first().toObject();

    const Result<QString> configName = ArchiveMembers::cleanReference(image.value(QStringLiteral("Config")).toString(),
                                                                      QStringLiteral("manifest.json's Config"));
    if (!configName)
        return configName.error();
    const Result<QJsonObject> config = objectOf(members.json(*configName), *configName);
    if (!config)
        return config.error();
    const QJsonArray layerNames = image.value(QStringLiteral("Layers")).toArray();
    const Result<QStringList> diffIds = diffIdsOf(*config, layerNames.size(), QStringLiteral("the image config"));
    if (!diffIds)
        return diffIds.error();

    QList<Layer> layers;
    for (qsizetype i = 0; i < layerNames.size(); ++i) {
        const Result<QString> name
            = ArchiveMembers::cleanReference(layerNames.at(i).toString(), QStringLiteral("manifest.json's Layers"));
        if (!name)
            return name.error();
        BlobWriter *member = members.find(*name);
        if (!member)
            return invalidArgument(
                QStringLiteral("manifest.json names layer %1, which the archive does not hold").arg(*name));
        const Result<Layer> layer
            = commitLayer(*member, diffIds->at(i), QStringLiteral("layer %1 (%2)").arg(i + 1).arg(*name));
        if (!layer)
            return layer.error();
        layers << *layer;
    }
    BlobWriter *configMember = members.find(*configName);
    const Result<QString> configDigest = configMember->commit(&m_holds);
    if (!configDigest)
        return configDigest.error();
    const Result<QString> manifest = putManifest(*configDigest, configMember->size(), layers);
    if (!manifest)
        return manifest.error();

    QString suggested;
    for (const auto &tag : image.value(QStringLiteral("RepoTags")).toArray()) {
        suggested = ImageName::normalized(tag.toString());
        if (!suggested.isEmpty())
            break;
    }
    return Assembled {*manifest, layers, suggested};
}

Result<ArchiveImporter::Assembled> ArchiveImporter::fromOciArchive(const ArchiveMembers &members)
{
    const Result<QJsonObject> layout
        = objectOf(members.json(QStringLiteral("oci-layout")), QStringLiteral("oci-layout"));
    if (!layout)
        return ErrorReply {layout.error().name, layout.error().message + QStringLiteral(" (is this an OCI archive?)")};
    if (!layout->value(QStringLiteral("imageLayoutVersion")).toString().startsWith(QStringLiteral("1.")))
        return invalidArgument(QStringLiteral("oci-layout of the archive has an unknown imageLayoutVersion"));
    // Every blob is checked against its name, referenced or not: a layout that lies is refused.
    static const QRegularExpression blobName(QStringLiteral("^blobs/sha256/[0-9a-f]{64}$"));
    const auto &files = members.files();
    for (auto it = files.cbegin(); it != files.cend(); ++it) {
        if (!it.key().startsWith(QStringLiteral("blobs/sha256/")))
            continue;
        if (!blobName.match(it.key()).hasMatch())
            return invalidArgument(
                QStringLiteral("the archive holds %1, which is not a sha256 blob name").arg(it.key().left(120)));
        const QString digest = QStringLiteral("sha256:") + it.key().mid(QStringLiteral("blobs/sha256/").size());
        if ((*it)->digest() != digest)
            return invalidArgument(
                QStringLiteral("blob %1 in the archive does not match its digest (its content hashes to %2)")
                    .arg(digest, (*it)->digest()));
    }
    auto blob = [&members](const QJsonValue &descriptor, const QString &what) -> Result<BlobWriter *> {
        const QString digest = descriptor[QStringLiteral("digest")].toString();
        if (!ImageStore::isValidDigest(digest))
            return invalidArgument(QStringLiteral("%1 has no valid sha256 digest (\"%2\")").arg(what, digest.left(80)));
        BlobWriter *member = members.find(blobKey(digest));
        if (!member)
            return invalidArgument(
                QStringLiteral("%1 names blob %2, which the archive does not hold").arg(what, digest));
        return member;
    };

    Result<QJsonObject> index = objectOf(members.json(QStringLiteral("index.json")), QStringLiteral("index.json"));
    if (!index)
        return index.error();
    QJsonObject descriptor;
    // An index may point at a nested index (multi-platform): take this host's platform from it.
    for (int depth = 0; depth < 3; ++depth) {
        const QJsonArray manifests = index->value(QStringLiteral("manifests")).toArray();
        if (manifests.isEmpty())
            return invalidArgument(QStringLiteral("the archive's index lists no image"));
        descriptor = manifests.first().toObject();
        for (const auto &entry : manifests) {
            const QJsonValue platform = entry[QStringLiteral("platform")];
            if (platform[QStringLiteral("os")].toString() == QStringLiteral("linux")
                && platform[QStringLiteral("architecture")].toString() == QStringLiteral("amd64")) {
                descriptor = entry.toObject();
                break;
            }
        }
        if (!isIndexType(descriptor.value(QStringLiteral("mediaType")).toString()))
            break;
        const Result<BlobWriter *> nested = blob(descriptor, QStringLiteral("the archive's index"));
        if (!nested)
            return nested.error();
        index = objectOf(members.json(blobKey(descriptor.value(QStringLiteral("digest")).toString())),
                         QStringLiteral("a nested index"));
        if (!index)
            return index.error();
    }
    const Result<BlobWriter *> manifestMember = blob(descriptor, QStringLiteral("the archive's index"));
    if (!manifestMember)
        return manifestMember.error();
    const QString manifestDigest = descriptor.value(QStringLiteral("digest")).toString();
    const Result<QJsonObject> manifest
        = objectOf(members.json(blobKey(manifestDigest)), QStringLiteral("the image manifest"));
    if (!manifest)
        return manifest.error();
    const Result<BlobWriter *> configMember
        = blob(manifest->value(QStringLiteral("config")), QStringLiteral("the manifest's config"));
    if (!configMember)
        return configMember.error();
    const Result<QJsonObject> config = objectOf(
        members.json(blobKey(manifest->value(QStringLiteral("config"))[QStringLiteral("digest")].toString())),
        QStringLiteral("the image config"));
    if (!config)
        return config.error();
    const QJsonArray layerDescriptors = manifest->value(QStringLiteral("layers")).toArray();
    const Result<QStringList> diffIds = diffIdsOf(*config, layerDescriptors.size(), QStringLiteral("the image config"));
    if (!diffIds)
        return diffIds.error();

    QList<Layer> layers;
    for (qsizetype i = 0; i < layerDescriptors.size(); ++i) {
        const QString what = QStringLiteral("layer %1 of the manifest").arg(i + 1);
        const Result<BlobWriter *> member = blob(layerDescriptors.at(i), what);
        if (!member)
            return member.error();
        const Result<Layer> layer = commitLayer(**member, diffIds->at(i), what, false);
        if (!layer)
            return layer.error();
        layers << *layer;
    }
    for (BlobWriter *json : {*configMember, *manifestMember}) {
        if (const Result<QString> committed = json->commit(&m_holds); !committed)
            return committed.error();
    }
    QString suggested;
    const QString refName = descriptor.value(QStringLiteral("annotations"))[kRefName].toString();
    // A bare tag ("latest", as skopeo writes for oci-archive:FILE:latest) names no image.
    if (refName.contains(QLatin1Char('/')) || refName.contains(QLatin1Char(':')))
        suggested = ImageName::normalized(refName);
    return Assembled {manifestDigest, layers, suggested};
}

} // namespace Hamlet::Containers
