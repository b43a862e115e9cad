#pragma once

#include "dbustypes.h"
#include "imagereference.h"
#include "registryclient.h"

#include <QElapsedTimer>
#include <QFuture>
#include <QObject>

#include <QCoro/QCoroTask>

namespace Hamlet::Containers {
class ImageStore;
}

namespace Hamlet::Registry {

// One pull of an image into the store: manifest (a list resolved to the platform), config, then
// the layers one after the other, each streamed to incoming/ through sha256 and adopted only when
// its digest matches, and unpacked on a worker thread while the next one downloads. Blobs the
// store has are not downloaded again. On any failure or cancel it undoes what it added (blobs,
// unpacked layers, temporary files) unless another image or pull uses them, so a failed pull
// leaves nothing. The image is tagged under the normalised reference only when all is done.
//
// Lives in a thread with an event loop (not the helper's main thread: it hashes and writes);
// progress and the outcome are signals, to be received queued.
class ImagePull : public QObject
{
    Q_OBJECT
public:
    ImagePull(ImageReference reference, RegistryOptions options, QString platform, Containers::ImageStore *store,
              QObject *parent = nullptr);

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
    QStringList m_claimed; // digests and diff ids this pull holds (see claims in imagepull.cpp)
    QStringList m_createdBlobs;
    QStringList m_createdLayers; // diff ids
    QList<QFuture<Status>> m_unpacks;
    QElapsedTimer m_sinceReport;
};

} // namespace Hamlet::Registry
