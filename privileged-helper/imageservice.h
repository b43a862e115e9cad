#pragma once

#include "dbustypes.h"
#include "jobobjects.h"

#include <QDBusMessage>
#include <QDBusUnixFileDescriptor>
#include <QObject>
#include <QThread>
#include <QThreadPool>

#include <QCoro/QCoroTask>
#include <functional>
#include <memory>

namespace Hamlet {

namespace Containers {
class ContainerBackend;
class ImportProgress;
struct ImportRequest;
} // namespace Containers

// The image methods of Manager1 (ListImages, PullImage, ImportImage, RemoveImage) over the
// container backend's image store. Each method gets the authorized call and returns its reply;
// pulls and imports run on as Jobs. Without a container backend (no OCI runtime) every method
// answers Unsupported.
class ImageService : public QObject
{
    Q_OBJECT
public:
    ImageService(Containers::ContainerBackend *containers, JobObjects &jobs, QObject *parent = nullptr);
    ~ImageService() override;

    QCoro::Task<QDBusMessage> list(QDBusMessage call);
    QCoro::Task<QDBusMessage> pull(QDBusMessage call, QString reference, QVariantMap options);
    QCoro::Task<QDBusMessage> importArchive(QDBusMessage call, QDBusUnixFileDescriptor archive, QString format,
                                            QVariantMap options);
    QCoro::Task<QDBusMessage> remove(QDBusMessage call, QString name);

    // The VMs made from an image (by manifest digest): RemoveImage refuses while there are any,
    // and ListImages names them in usedBy; dropped is told of a digest no image has any more.
    void setVmHooks(std::function<QStringList(const QString &)> users, std::function<void(const QString &)> dropped)
    {
        m_vmsUsing = std::move(users);
        m_digestDropped = std::move(dropped);
    }

Q_SIGNALS:
    void imagesChanged();

private:
    QDBusMessage unsupported(const QDBusMessage &call) const;
    // The import on a worker thread; the job reports its progress and outcome.
    QCoro::Task<> runImport(Job *job, int fd, Containers::ImportRequest request, quint64 bytesTotal);
    static void publish(Job *job, const Containers::ImportProgress &progress);
    // Pulls hash and write what they download: they run in this thread, not on the bus's.
    QThread *pullThread();

    QThread *m_pullThread = nullptr;
    // Imports read callers' pipes at the callers' pace: they run here, never on Qt's global pool.
    // Beyond this many at once, further imports wait their turn (only imports do).
    static constexpr int MaxConcurrentImports = 8;
    QThreadPool m_importPool;
    // Cancelled when the helper stops, so that an import waiting on a pipe lets the pool finish.
    QList<std::weak_ptr<Containers::ImportProgress>> m_imports;

    Containers::ContainerBackend *m_containers;
    std::function<QStringList(const QString &)> m_vmsUsing;
    std::function<void(const QString &)> m_digestDropped;
    JobObjects &m_jobs;
};

} // namespace Hamlet
