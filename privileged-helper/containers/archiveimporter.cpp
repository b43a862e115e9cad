#include "archiveimporter.h"

#include "imagename.h"
#include "importsource.h"
#include "layerblob.h"
#include "logging.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QSet>

namespace Hamlet::Containers {

namespace {

const QString kName = QStringLiteral("name");
const QString kCommand = QStringLiteral("command");
const QString kEnv = QStringLiteral("env");
const QString kWorkdir = QStringLiteral("workdir");

bool isStringList(const QVariant &value)
{
    return value.metaType().id() == QMetaType::QStringList;
}

ErrorReply cancelled()
{
    return failed(kImportCancelled);
}

} // namespace

Result<ImportRequest> ImportRequest::fromOptions(const QString &format, const QVariantMap &options)
{
    ImportRequest request;
    if (format == QStringLiteral("docker-archive"))
        request.format = Format::DockerArchive;
    else if (format == QStringLiteral("oci-archive"))
        request.format = Format::OciArchive;
    else if (format == QStringLiteral("rootfs"))
        request.format = Format::Rootfs;
    else
        return invalidArgument(
            QStringLiteral("unknown archive format \"%1\": use docker-archive, oci-archive or rootfs")
                .arg(format.left(64)));
    static const QSet<QString> known {kName, kCommand, kEnv, kWorkdir};
    for (auto it = options.cbegin(); it != options.cend(); ++it) {
        if (!known.contains(it.key()))
            return invalidArgument(QStringLiteral("unknown import option \"%1\"").arg(it.key().left(64)));
    }
    if (options.contains(kName)) {
        if (options.value(kName).metaType().id() != QMetaType::QString)
            return invalidArgument(QStringLiteral("\"name\" must be a string (s)"));
        request.name = options.value(kName).toString();
        if (!ImageName::isValid(request.name) || request.name.contains(QLatin1Char('@')))
            return invalidArgument(
                QStringLiteral("\"%1\" is not a valid image name: use lower-case letters, digits, \".\", \"_\", \"-\" "
                               "and \"/\", optionally with a \":tag\" (for example \"myroot:1.0\")")
                    .arg(request.name.left(300)));
    }
    const bool rootfs = request.format == Format::Rootfs;
    if (rootfs && request.name.isEmpty())
        return invalidArgument(QStringLiteral("a rootfs import needs a \"name\" for the new image"));
    for (const QString &key : {kCommand, kEnv, kWorkdir}) {
        if (options.contains(key) && !rootfs)
            return invalidArgument(
                QStringLiteral("\"%1\" applies to rootfs imports only: an image archive brings its own config")
                    .arg(key));
    }
    if (options.contains(kCommand)) {
        if (!isStringList(options.value(kCommand)) || options.value(kCommand).toStringList().isEmpty())
            return invalidArgument(QStringLiteral("\"command\" must be a non-empty list of strings (as)"));
        request.command = options.value(kCommand).toStringList();
    } else if (rootfs) {
        request.command = {QStringLiteral("/bin/sh")};
    }
    if (options.contains(kEnv)) {
        if (!isStringList(options.value(kEnv)))
            return invalidArgument(QStringLiteral("\"env\" must be a list of NAME=value strings (as)"));
        request.env = options.value(kEnv).toStringList();
        for (const QString &entry : std::as_const(request.env)) {
            if (entry.indexOf(QLatin1Char('=')) <= 0 || entry.contains(QChar(0)))
                return invalidArgument(
                    QStringLiteral("environment entry \"%1\" must look like NAME=value").arg(entry.left(64)));
        }
    }
    if (options.contains(kWorkdir)) {
        request.workdir = options.value(kWorkdir).toString();
        if (options.value(kWorkdir).metaType().id() != QMetaType::QString
            || !request.workdir.startsWith(QLatin1Char('/')))
            return invalidArgument(QStringLiteral("\"workdir\" must be an absolute path (s)"));
    }
    return request;
}

ArchiveImporter::ArchiveImporter(ImageStore &store, ImportRequest request, Limits limits, ImportProgress &progress)
    : m_store(store)
    , m_request(std::move(request))
    , m_limits(limits)
    , m_progress(progress)
    , m_holds(store)
{ }

ArchiveMembers::Limits ArchiveImporter::memberLimits() const
{
    ArchiveMembers::Limits limits;
    limits.maxMemberBytes = m_limits.maxBlobBytes;
    return limits;
}

Result<ImageInfo> ArchiveImporter::run(int fd)
{
    ImportSource source(fd, m_limits.maxArchiveBytes, m_progress);
    Result<ImageInfo> result = [&]() -> Result<ImageInfo> {
        const Result<Assembled> image = assemble(source);
        if (!image)
            return image.error();
        if (m_progress.isCancelled())
            return cancelled();
        if (Status unpacked = unpack(image->layers); !unpacked)
            return unpacked.error();
        if (m_progress.isCancelled())
            return cancelled();
        return m_store.tagManifest(nameFor(*image), image->manifestDigest, ImageSource::Archive);
    }();
    if (!result) {
        Log::containers()->warn("import failed: {}", result.error().message);
        m_holds.discardCreated();
    }
    return result;
}

Result<ArchiveImporter::Assembled> ArchiveImporter::assemble(ImportSource &source)
{
    if (m_request.format == ImportRequest::Format::Rootfs)
        return fromRootfs(source);
    const Result<ArchiveMembers> members = ArchiveMembers::read(source, m_store, memberLimits());
    if (!members)
        return members.error();
    if (m_progress.isCancelled())
        return cancelled();
    return m_request.format == ImportRequest::Format::DockerArchive ? fromDockerArchive(*members)
                                                                    : fromOciArchive(*members);
}

Result<ArchiveImporter::Assembled> ArchiveImporter::fromRootfs(ImportSource &source)
{
    BlobWriter tarball(m_store, m_limits.maxBlobBytes);
    if (Status opened = tarball.open(); !opened)
        return opened.error();
    QByteArray buffer(256 * 1024, Qt::Uninitialized);
    while (true) {
        const ssize_t n = source.read(buffer.data(), static_cast<size_t>(buffer.size()));
        if (n < 0)
            return n == -1 && source.error() == kImportCancelled ? cancelled() : invalidArgument(source.error());
        if (n == 0)
            break;
        if (Status written = tarball.write(buffer.constData(), n); !written)
            return invalidArgument(written.error().message);
    }
    if (tarball.size() == 0)
        return invalidArgument(QStringLiteral("the rootfs archive is empty"));
    const Result<Layer> layer = commitLayer(tarball, {}, QStringLiteral("the rootfs"));
    if (!layer)
        return layer.error();

    ImageConfig runConfig;
    runConfig.cmd = m_request.command;
    runConfig.env = m_request.env.isEmpty()
        ? QStringList {QStringLiteral("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")}
        : m_request.env;
    runConfig.workingDir = m_request.workdir;
    const QJsonObject config {
        {QStringLiteral("architecture"), QStringLiteral("amd64")},
        {QStringLiteral("os"), QStringLiteral("linux")},
        {QStringLiteral("created"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
        {QStringLiteral("config"), runConfig.toConfigJson()},
        {QStringLiteral("rootfs"),
         QJsonObject {{QStringLiteral("type"), QStringLiteral("layers")},
                      {QStringLiteral("diff_ids"), QJsonArray {layer->diffId}}}},
        {QStringLiteral("history"),
         QJsonArray {QJsonObject {{QStringLiteral("created_by"), QStringLiteral("hamlet: imported rootfs tarball")}}}},
    };
    const QByteArray configData = QJsonDocument(config).toJson(QJsonDocument::Compact);
    const Result<QString> configDigest = putJson(config);
    if (!configDigest)
        return configDigest.error();
    const Result<QString> manifest = putManifest(*configDigest, static_cast<quint64>(configData.size()), {*layer});
    if (!manifest)
        return manifest.error();
    return Assembled {*manifest, {*layer}, {}};
}

Result<ArchiveImporter::Layer> ArchiveImporter::commitLayer(BlobWriter &member, const QString &expectedDiffId,
                                                            const QString &what, bool allowConversion)
{
    if (const auto done = m_committedLayers.constFind(&member); done != m_committedLayers.constEnd()) {
        if (!expectedDiffId.isEmpty() && done->diffId != expectedDiffId)
            return invalidArgument(QStringLiteral("%1 does not match the image config: it unpacks to %2, the config "
                                                  "says %3")
                                       .arg(what, done->diffId, expectedDiffId));
        return *done;
    }
    if (Status finished = member.finish(); !finished)
        return finished.error();
    const LayerBlob::Compression compression = LayerBlob::detect(member.temporaryPath());
    Layer layer;
    // xz and bzip2 have no OCI media type: those layers are kept as the plain tar inside.
    const bool convert = compression == LayerBlob::Compression::Xz || compression == LayerBlob::Compression::Bzip2;
    if (convert && !allowConversion)
        return invalidArgument(
            QStringLiteral("%1 is xz or bzip2 compressed, which an OCI image layer cannot be").arg(what));
    BlobWriter plain(m_store, m_limits.maxBlobBytes);
    if (convert) {
        if (Status opened = plain.open(); !opened)
            return opened.error();
    }
    if (compression == LayerBlob::Compression::None) {
        layer.diffId = member.digest();
    } else {
        const Result<QString> diffId = LayerBlob::uncompressedDigest(member.temporaryPath(), m_limits.maxBlobBytes,
                                                                     convert ? &plain : nullptr, m_progress);
        if (!diffId)
            return diffId.error().message == kImportCancelled
                ? diffId.error()
                : invalidArgument(QStringLiteral("%1: %2").arg(what, diffId.error().message));
        layer.diffId = *diffId;
    }
    if (!expectedDiffId.isEmpty() && layer.diffId != expectedDiffId)
        return invalidArgument(
            QStringLiteral("%1 does not match the image config: it unpacks to %2, the config says %3")
                .arg(what, layer.diffId, expectedDiffId));
    BlobWriter &kept = convert ? plain : member;
    const Result<QString> digest = kept.commit(&m_holds);
    if (!digest)
        return digest.error();
    layer.digest = *digest;
    layer.size = kept.size();
    layer.mediaType = LayerBlob::mediaType(convert ? LayerBlob::Compression::None : compression);
    m_committedLayers.insert(&member, layer);
    return layer;
}

Result<QString> ArchiveImporter::putJson(const QJsonObject &object)
{
    const QByteArray data = QJsonDocument(object).toJson(QJsonDocument::Compact);
    BlobWriter writer(m_store, static_cast<quint64>(data.size()));
    if (Status opened = writer.open(); !opened)
        return opened.error();
    if (Status written = writer.write(data.constData(), data.size()); !written)
        return written.error();
    return writer.commit(&m_holds);
}

Result<QString> ArchiveImporter::putManifest(const QString &configDigest, quint64 configSize,
                                             const QList<Layer> &layers)
{
    QJsonArray layerArray;
    for (const Layer &layer : layers) {
        layerArray.append(QJsonObject {{QStringLiteral("mediaType"), layer.mediaType},
                                       {QStringLiteral("digest"), layer.digest},
                                       {QStringLiteral("size"), static_cast<qint64>(layer.size)}});
    }
    return putJson(QJsonObject {
        {QStringLiteral("schemaVersion"), 2},
        {QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.manifest.v1+json")},
        {QStringLiteral("config"),
         QJsonObject {{QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.config.v1+json")},
                      {QStringLiteral("digest"), configDigest},
                      {QStringLiteral("size"), static_cast<qint64>(configSize)}}},
        {QStringLiteral("layers"), layerArray},
    });
}

Status ArchiveImporter::unpack(const QList<Layer> &layers)
{
    QList<ImportProgress::Layer> states;
    for (const Layer &layer : layers) {
        const bool exists = QFileInfo(m_store.layerPath(layer.diffId)).isDir();
        states << ImportProgress::Layer {layer.digest, layer.size, layer.size,
                                         exists ? QStringLiteral("exists") : QStringLiteral("waiting")};
    }
    m_progress.setLayers(states);
    for (qsizetype i = 0; i < layers.size(); ++i) {
        if (m_progress.isCancelled())
            return cancelled();
        m_holds.holdLayer(layers.at(i).diffId, false);
        m_progress.setLayerState(i, QStringLiteral("unpacking"));
        const Result<bool> unpacked = m_store.unpackLayer(layers.at(i).digest, layers.at(i).diffId);
        if (!unpacked)
            return invalidArgument(QStringLiteral("layer %1 of %2 cannot be unpacked: %3")
                                       .arg(i + 1)
                                       .arg(layers.size())
                                       .arg(unpacked.error().message));
        if (*unpacked)
            m_holds.holdLayer(layers.at(i).diffId, true);
        m_progress.setLayerState(i, QStringLiteral("done"));
    }
    return success();
}

QString ArchiveImporter::nameFor(const Assembled &image) const
{
    if (!m_request.name.isEmpty())
        return m_request.name;
    if (!image.suggestedName.isEmpty())
        return image.suggestedName;
    return QStringLiteral("imported-") + image.manifestDigest.mid(QStringLiteral("sha256:").size(), 12);
}

} // namespace Hamlet::Containers
