#include "manifest.h"

#include "imagestore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSysInfo>

namespace Hamlet::Registry {

namespace {

const QString kOciManifest = QStringLiteral("application/vnd.oci.image.manifest.v1+json");
const QString kOciIndex = QStringLiteral("application/vnd.oci.image.index.v1+json");
const QString kDockerManifest = QStringLiteral("application/vnd.docker.distribution.manifest.v2+json");
const QString kDockerList = QStringLiteral("application/vnd.docker.distribution.manifest.list.v2+json");
const QString kDockerSchema1 = QStringLiteral("application/vnd.docker.distribution.manifest.v1");

const QStringList kUnpackableLayers {
    QStringLiteral("application/vnd.oci.image.layer.v1.tar"),
    QStringLiteral("application/vnd.oci.image.layer.v1.tar+gzip"),
    QStringLiteral("application/vnd.oci.image.layer.v1.tar+zstd"),
    QStringLiteral("application/vnd.docker.image.rootfs.diff.tar"),
    QStringLiteral("application/vnd.docker.image.rootfs.diff.tar.gzip"),
    QStringLiteral("application/vnd.docker.image.rootfs.diff.tar.zstd"),
};

ErrorReply invalid(const QString &message)
{
    return ErrorReply {Error::Failed, message};
}

Result<Descriptor> descriptorOf(const QJsonValue &value, const QString &what)
{
    const QJsonObject object = value.toObject();
    Descriptor descriptor {object.value(QStringLiteral("mediaType")).toString(),
                           object.value(QStringLiteral("digest")).toString(),
                           object.value(QStringLiteral("size")).toInteger(-1)};
    if (!Containers::ImageStore::isValidDigest(descriptor.digest))
        return invalid(QStringLiteral("the registry's manifest names %1 with an unsupported digest \"%2\" (only "
                                      "sha256 is supported)")
                           .arg(what, descriptor.digest));
    if (descriptor.size < 0)
        return invalid(QStringLiteral("the registry's manifest gives %1 no valid size").arg(what));
    return descriptor;
}

Result<QJsonObject> objectOf(const QByteArray &json)
{
    QJsonParseError error {};
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (!document.isObject())
        return invalid(QStringLiteral("the registry sent a manifest that is not JSON: %1").arg(error.errorString()));
    return document.object();
}

} // namespace

QByteArray acceptedManifestTypes()
{
    return QStringList {kOciManifest, kOciIndex, kDockerManifest, kDockerList}.join(QLatin1Char(',')).toLatin1();
}

QString hostPlatform()
{
    const QString cpu = QSysInfo::buildCpuArchitecture();
    QString arch = cpu;
    if (cpu == QLatin1String("x86_64"))
        arch = QStringLiteral("amd64");
    else if (cpu == QLatin1String("i386"))
        arch = QStringLiteral("386");
    else if (cpu == QLatin1String("power64"))
        arch = QStringLiteral("ppc64le");
    return QStringLiteral("linux/") + arch;
}

Result<ImageManifest> ImageManifest::parse(const QByteArray &json, const QString &mediaType)
{
    if (mediaType.startsWith(kDockerSchema1))
        return ErrorReply {Error::Unsupported,
                           QStringLiteral("the registry only has a Docker schema 1 manifest for this image, a format "
                                          "retired in 2017: push it again with a current tool")};
    const Result<QJsonObject> object = objectOf(json);
    if (!object)
        return object.error();
    if (object->value(QStringLiteral("schemaVersion")).toInt() != 2)
        return ErrorReply {Error::Unsupported,
                           QStringLiteral("the registry sent a manifest of schema version %1; only 2 is supported")
                               .arg(object->value(QStringLiteral("schemaVersion")).toInt())};
    ImageManifest manifest;
    const Result<Descriptor> config
        = descriptorOf(object->value(QStringLiteral("config")), QStringLiteral("the config"));
    if (!config)
        return config.error();
    manifest.config = *config;
    const QJsonArray layers = object->value(QStringLiteral("layers")).toArray();
    for (qsizetype i = 0; i < layers.size(); ++i) {
        const Result<Descriptor> layer = descriptorOf(layers.at(i), QStringLiteral("layer %1").arg(i + 1));
        if (!layer)
            return layer.error();
        if (!kUnpackableLayers.contains(layer->mediaType))
            return ErrorReply {Error::Unsupported,
                               QStringLiteral("layer %1 (%2) has the media type \"%3\", which Hamlet cannot unpack "
                                              "(it takes tar, tar+gzip and tar+zstd layers)")
                                   .arg(i + 1)
                                   .arg(layer->digest, layer->mediaType)};
        manifest.layers << *layer;
    }
    return manifest;
}

QString ManifestIndex::mediaTypeOf(const QByteArray &json, const QString &contentType)
{
    const QString type = contentType.section(QLatin1Char(';'), 0, 0).trimmed();
    if (type.startsWith(QLatin1String("application/vnd.")))
        return type;
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    if (object.contains(QStringLiteral("mediaType")))
        return object.value(QStringLiteral("mediaType")).toString();
    // An OCI document without mediaType: an index has "manifests", an image "config".
    return object.contains(QStringLiteral("manifests")) ? kOciIndex : kOciManifest;
}

bool ManifestIndex::isIndex(const QString &mediaType)
{
    return mediaType == kOciIndex || mediaType == kDockerList;
}

Result<Descriptor> ManifestIndex::pick(const QByteArray &json, const QString &platform)
{
    const QStringList wanted = platform.split(QLatin1Char('/'));
    if (wanted.size() < 2 || wanted.size() > 3 || wanted[0].isEmpty() || wanted[1].isEmpty())
        return ErrorReply {Error::InvalidArgument,
                           QStringLiteral("platform \"%1\" is not os/arch[/variant] (e.g. linux/arm64)").arg(platform)};
    const Result<QJsonObject> object = objectOf(json);
    if (!object)
        return object.error();
    QStringList offered;
    for (const auto &entry : object->value(QStringLiteral("manifests")).toArray()) {
        const QJsonObject entryPlatform = entry[QStringLiteral("platform")].toObject();
        const QString os = entryPlatform.value(QStringLiteral("os")).toString();
        const QString arch = entryPlatform.value(QStringLiteral("architecture")).toString();
        const QString variant = entryPlatform.value(QStringLiteral("variant")).toString();
        if (os == QLatin1String("unknown")) // attestations and signatures, not images
            continue;
        offered << (variant.isEmpty() ? os + QLatin1Char('/') + arch
                                      : QStringList {os, arch, variant}.join(QLatin1Char('/')));
        if (os != wanted[0] || arch != wanted[1] || (wanted.size() == 3 && variant != wanted[2]))
            continue;
        return descriptorOf(entry, QStringLiteral("the %1 manifest").arg(platform));
    }
    return ErrorReply {
        Error::NotFound,
        QStringLiteral("the image has no %1 variant (it has: %2)")
            .arg(platform, offered.isEmpty() ? QStringLiteral("none") : offered.join(QStringLiteral(", ")))};
}

} // namespace Hamlet::Registry
