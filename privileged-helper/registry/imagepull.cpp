#include "imagepull.h"

#include "blobwriter.h"
#include "failpoints.h"
#include "imagestore.h"
#include "logging.h"
#include "manifest.h"
#include "sha256.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtConcurrent>

#include <QCoro/QCoroFuture>
#include <unistd.h>

namespace Hamlet::Registry {

namespace {

const QString kWaiting = QStringLiteral("waiting");
const QString kDownloading = QStringLiteral("downloading");
const QString kExists = QStringLiteral("exists");
const QString kUnpacking = QStringLiteral("unpacking");
const QString kDone = QStringLiteral("done");

} // namespace

ImagePull::ImagePull(ImageReference reference, RegistryOptions options, QString platform, Containers::ImageStore *store,
                     QObject *parent)
    : QObject(parent)
    , m_reference(std::move(reference))
    , m_platform(std::move(platform))
    , m_store(store)
    , m_client(m_reference, std::move(options), this)
    , m_holds(std::make_unique<Containers::BlobHolds>(*store))
{
    m_unpackPool.setMaxThreadCount(1);
}

ImagePull::~ImagePull() = default;

void ImagePull::start()
{
    run(); // runs on; finished() reports the outcome
}

void ImagePull::cancel()
{
    if (m_cancelled)
        return;
    Log::helper()->info("pull of {} cancelled", m_reference.name());
    m_cancelled = true;
    m_client.abort();
}

QCoro::Task<> ImagePull::run()
{
    const QString name = m_reference.name();
    Log::helper()->info("pulling {}", name);
    const Status pulled = co_await pull();
    // After a failure, layers may still be unpacking: they finish before anything is undone.
    for (QFuture<Status> &unpack : m_unpacks)
        co_await unpack;
    const bool ok = pulled.ok() && !m_cancelled;
    if (!ok)
        rollback();
    m_holds.reset(); // tagged, or undone: the collector may have what is left
    report(true);
    if (m_cancelled) {
        Q_EMIT finished(false, Error::Failed, QStringLiteral("Pulling %1 was cancelled.").arg(name));
    } else if (!pulled.ok()) {
        Log::helper()->warn("pulling {} failed: {}", name, pulled.error().message);
        Q_EMIT finished(false, pulled.error().name,
                        QStringLiteral("Pulling %1 failed: %2").arg(name, pulled.error().message));
    } else {
        Log::helper()->info("pulled {}", name);
        Q_EMIT finished(true, {}, {});
    }
}

QCoro::Task<Result<QByteArray>> ImagePull::resolveManifest()
{
    const QString asked = m_reference.manifestReference();
    const Result<RegistryResponse> top = co_await m_client.fetchManifest(asked);
    if (!top)
        co_return top.error();
    const QString topDigest = Containers::ImageStore::digestOf(top->body);
    if (!m_reference.digest.isEmpty() && topDigest != m_reference.digest)
        co_return ErrorReply {Error::Failed,
                              QStringLiteral("registry %1 sent a manifest whose digest is %2, not the %3 asked for")
                                  .arg(m_reference.apiHost(), topDigest, m_reference.digest)};
    const QString topType = ManifestIndex::mediaTypeOf(top->body, top->contentType);
    if (!ManifestIndex::isIndex(topType))
        co_return top->body;
    const Result<Descriptor> entry = ManifestIndex::pick(top->body, m_platform);
    if (!entry)
        co_return entry.error();
    const QString entryDigest = entry->digest;
    const Result<RegistryResponse> chosen = co_await m_client.fetchManifest(entryDigest);
    if (!chosen)
        co_return chosen.error();
    if (Containers::ImageStore::digestOf(chosen->body) != entryDigest)
        co_return ErrorReply {Error::Failed,
                              QStringLiteral("the %1 manifest from registry %2 does not match its digest %3")
                                  .arg(m_platform, m_reference.apiHost(), entryDigest)};
    if (ManifestIndex::isIndex(ManifestIndex::mediaTypeOf(chosen->body, chosen->contentType)))
        co_return ErrorReply {Error::Unsupported,
                              QStringLiteral("the manifest list of %1 points at another list").arg(m_reference.name())};
    co_return chosen->body;
}

QCoro::Task<Status> ImagePull::pull()
{
    const Result<QByteArray> manifestJson = co_await resolveManifest();
    if (!manifestJson)
        co_return manifestJson.error();
    const QString manifestType = ManifestIndex::mediaTypeOf(*manifestJson, {});
    const Result<ImageManifest> manifest = ImageManifest::parse(*manifestJson, manifestType);
    if (!manifest)
        co_return manifest.error();
    const QString manifestDigest = Containers::ImageStore::digestOf(*manifestJson);
    // Held before they are looked at: what is there now stays there until the image is tagged.
    m_holds->hold(manifestDigest, false);
    m_holds->hold(manifest->config.digest, false);
    for (const Descriptor &layer : manifest->layers)
        m_holds->hold(layer.digest, false);

    // The config: small, in memory, checked against its digest.
    m_configSize = manifest->config.size;
    QByteArray configJson;
    if (m_store->hasBlob(manifest->config.digest)) {
        const Result<QByteArray> stored = m_store->readBlob(manifest->config.digest);
        if (!stored)
            co_return stored.error();
        configJson = *stored;
    } else {
        const QString configDigest = manifest->config.digest;
        const Result<QByteArray> fetched = co_await m_client.fetchBlob(configDigest);
        if (!fetched)
            co_return fetched.error();
        m_holds->hold(configDigest, true);
        const Result<QString> put = m_store->putBlob(*fetched);
        if (!put)
            co_return put.error();
        configJson = *fetched;
    }
    const QJsonArray diffIds
        = QJsonDocument::fromJson(configJson).object()[QStringLiteral("rootfs")][QStringLiteral("diff_ids")].toArray();
    if (diffIds.size() != manifest->layers.size())
        co_return ErrorReply {Error::Failed,
                              QStringLiteral("the image config lists %1 layer diff ids for %2 layers")
                                  .arg(diffIds.size())
                                  .arg(manifest->layers.size())};
    for (qsizetype i = 0; i < manifest->layers.size(); ++i) {
        Layer layer;
        layer.digest = manifest->layers[i].digest;
        layer.size = manifest->layers[i].size;
        layer.diffId = diffIds[i].toString();
        if (!Containers::ImageStore::isValidDigest(layer.diffId))
            co_return ErrorReply {Error::Failed,
                                  QStringLiteral("the image config names an invalid diff id \"%1\"").arg(layer.diffId)};
        if (m_store->hasBlob(layer.digest)) {
            layer.state = kExists;
            layer.done = layer.size;
        }
        m_holds->holdLayer(layer.diffId, false);
        m_layers << layer;
    }
    report(true);

    // Three downloads at a time (as docker does): a registry far away is latency-bound.
    QCoro::Task<> first = downloadLayers();
    QCoro::Task<> second = downloadLayers();
    QCoro::Task<> third = downloadLayers();
    co_await first;
    co_await second;
    co_await third;
    if (!m_downloadFailure)
        co_return m_downloadFailure;
    for (QFuture<Status> &unpack : m_unpacks) {
        const Status unpacked = co_await unpack;
        if (!unpacked)
            co_return unpacked;
    }
    if (m_cancelled)
        co_return ErrorReply {Error::Failed, QStringLiteral("cancelled")};

    m_holds->hold(manifestDigest, !m_store->hasBlob(manifestDigest));
    const Result<QString> put = m_store->putBlob(*manifestJson);
    if (!put)
        co_return put.error();
    const Result<Containers::ImageInfo> tagged
        = m_store->tagManifest(m_reference.name(), manifestDigest, Containers::ImageSource::Registry);
    if (!tagged)
        co_return tagged.error();
    co_return Containers::success();
}

QCoro::Task<> ImagePull::downloadLayers()
{
    while (m_downloadFailure.ok() && !m_cancelled && m_nextLayer < m_layers.size()) {
        const qsizetype index = m_nextLayer++;
        if (m_layers[index].state != kExists) {
            const Status downloaded = co_await download(index);
            if (!downloaded) {
                if (m_downloadFailure.ok()) {
                    m_downloadFailure = downloaded;
                    m_client.abort(); // the others stop at once; their error is not the cause
                }
                co_return;
            }
        }
        if (m_downloadFailure.ok() && !m_cancelled)
            startUnpack(index);
    }
}

QCoro::Task<Status> ImagePull::download(qsizetype index)
{
    Layer &layer = m_layers[index];
    layer.state = kDownloading;
    report(true);
    // At most the size the manifest gives: a registry that sends more cannot fill the disk.
    Containers::BlobWriter writer(*m_store, static_cast<quint64>(layer.size));
    if (Status opened = writer.open(); !opened)
        co_return opened;
    const QString host = m_reference.apiHost();
    RegistryClient::Sink sink = [&layer, &writer, &host, this](const QByteArray &chunk) -> Status {
        if (Status written = writer.write(chunk.constData(), chunk.size()); !written)
            return ErrorReply {
                Error::Failed,
                QStringLiteral("blob %1 from registry %2: %3").arg(layer.digest, host, written.error().message)};
        if (std::optional<ErrorReply> failPoint = FailPoints::hit(FailPoints::PullMidLayer))
            return *failPoint;
        layer.done += chunk.size();
        report(false);
        return Containers::success();
    };
    const QString digest = layer.digest;
    const Status streamed = co_await m_client.streamBlob(digest, &sink);
    Status outcome = streamed;
    if (streamed.ok() && (layer.done != layer.size || writer.digest() != layer.digest))
        outcome
            = ErrorReply {Error::Failed,
                          QStringLiteral("blob %1 from registry %2 does not match its digest (the %3 bytes received "
                                         "hash to %4): the registry or the network corrupted it; nothing was stored")
                              .arg(layer.digest, host)
                              .arg(layer.done)
                              .arg(writer.digest())};
    if (outcome.ok()) {
        const Result<QString> committed = writer.commit(m_holds.get(), layer.digest);
        if (!committed)
            outcome = committed.error();
    }
    if (!outcome.ok()) { // the writer's destructor removes the temporary file
        layer.state = kWaiting; // the contract's states: it is not there; the job's error says why
        layer.done = 0;
        report(true);
    }
    co_return outcome;
}

void ImagePull::startUnpack(qsizetype index)
{
    Layer &layer = m_layers[index];
    if (m_store->hasLayer(layer.diffId)) {
        if (layer.state != kExists)
            layer.state = kDone;
        report(true);
        return;
    }
    layer.state = kUnpacking;
    m_holds->holdLayer(layer.diffId, true);
    report(true);
    Containers::ImageStore *store = m_store;
    const QString digest = layer.digest;
    const QString diffId = layer.diffId;
    QFuture<Status> unpacking = QtConcurrent::run(&m_unpackPool, [store, digest, diffId]() -> Status {
        const Result<bool> unpacked = store->unpackLayer(digest, diffId);
        if (!unpacked)
            return ErrorReply {unpacked.error().name,
                               QStringLiteral("cannot unpack layer %1: %2").arg(digest, unpacked.error().message)};
        return Containers::success();
    });
    m_unpacks << unpacking.then(this, [this, index](Status unpacked) {
        m_layers[index].state = unpacked.ok() ? kDone : kWaiting;
        report(true);
        return unpacked;
    });
}

void ImagePull::report(bool force)
{
    if (!force && m_sinceReport.isValid() && m_sinceReport.elapsed() < 100)
        return;
    m_sinceReport.start();
    VariantMapList layers;
    qulonglong done = 0;
    qulonglong total = static_cast<qulonglong>(m_configSize);
    for (const Layer &layer : m_layers) {
        layers << QVariantMap {{QStringLiteral("digest"), layer.digest},
                               {QStringLiteral("bytesDone"), QVariant::fromValue<qulonglong>(layer.done)},
                               {QStringLiteral("bytesTotal"), QVariant::fromValue<qulonglong>(layer.size)},
                               {QStringLiteral("state"), layer.state}};
        done += static_cast<qulonglong>(layer.done);
        total += static_cast<qulonglong>(layer.size);
    }
    if (!m_layers.isEmpty()) // the config is in once the layers are known
        done += static_cast<qulonglong>(m_configSize);
    Q_EMIT progress(layers, done, total);
}

void ImagePull::rollback()
{
    Log::helper()->info("pull of {} failed: removing the blobs and layers it added", m_reference.name());
    m_holds->discardCreated();
}

} // namespace Hamlet::Registry
