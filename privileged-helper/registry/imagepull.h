#pragma once

#include "dbustypes.h"
#include "imagereference.h"
#include "registryclient.h"

#include <QElapsedTimer>
#include <QFuture>
#include <QObject>
#include <QThreadPool>

#include <QCoro/QCoroTask>

#include <memory>

namespace Hamlet::Containers {
class BlobHolds;
class ImageStore;
} // namespace Hamlet::Containers

namespace Hamlet::Registry {

// One pull of an image into the store: manifest (a list resolved to the platform), config, then
// the layers, three at a time, each streamed to incoming/ through sha256 and adopted only when
// its digest matches, and unpacked on a worker thread while the next one downloads (the tar
// checked against its diff id). Blobs the store has are not downloaded again. Everything it
// uses is held (BlobHolds) so a RemoveImage meanwhile cannot collect it; on any failure or
// cancel it undoes what it added (blobs, unpacked layers, temporary files) unless another image
// or job uses them, so a failed pull leaves nothing. The image is tagged under the normalised
// reference (source "registry") only when all is done.
//
// Lives in a thread with an event loop (not the helper's main thread: it hashes and writes);
// progress and the outcome are signals, to be received queued.
class ImagePull : public QObject
{
    Q_OBJECT
public:
    ImagePull(ImageReference reference, RegistryOptions options, QString platform, Containers::ImageStore *store,
              QObject *parent = nullptr);
    ~ImagePull() override;

public Q_SLOTS:
    void start();
    void cancel();

Q_SIGNALS:
    // layers: Job1.Layers entries (digest, bytesDone, bytesTotal, state).
    void progress(const Hamlet::VariantMapList &layers, qulonglong bytesDone, qulonglong bytesTotal);
    void finished(bool ok, const QString &errorName, const QString &message);

private:
    struct Layer {
        QString digest;
        QString diffId;
        qint64 size = 0;
        qint64 done = 0;
        QString state = QStringLiteral("waiting");
    };

    QCoro::Task<> run();
    QCoro::Task<Status> pull();
    QCoro::Task<Result<QByteArray>> resolveManifest();
    // One of the parallel downloaders: takes the next layer until none is left or one failed.
    QCoro::Task<> downloadLayers();
    QCoro::Task<Status> download(qsizetype index);
    void startUnpack(qsizetype index);
    void report(bool force);
    void rollback();

    ImageReference m_reference;
    QString m_platform;
    Containers::ImageStore *m_store;
    RegistryClient m_client;
    QList<Layer> m_layers;
    qint64 m_configSize = 0;
    bool m_cancelled = false;
    qsizetype m_nextLayer = 0;
    Status m_downloadFailure = Containers::success(); // the first one
    // What this pull uses or adds, kept from the collector and undone on failure.
    std::unique_ptr<Containers::BlobHolds> m_holds;
    // The store unpacks one layer at a time anyway; a pool of its own keeps layers waiting for
    // their turn off Qt's global pool, which the helper's other work (ListImages, creates) needs.
    QThreadPool m_unpackPool;
    QList<QFuture<Status>> m_unpacks;
    QElapsedTimer m_sinceReport;
};

} // namespace Hamlet::Registry
