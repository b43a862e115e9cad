#pragma once

#include "dbustypes.h"
#include "jobobjects.h"

#include <QDBusMessage>
#include <QDBusUnixFileDescriptor>
#include <QObject>

#include <QCoro/QCoroTask>

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

    QCoro::Task<QDBusMessage> list(QDBusMessage call);
    QCoro::Task<QDBusMessage> pull(QDBusMessage call, QString reference, QVariantMap options);
    QCoro::Task<QDBusMessage> importArchive(QDBusMessage call, QDBusUnixFileDescriptor archive, QString format,
                                            QVariantMap options);
    QCoro::Task<QDBusMessage> remove(QDBusMessage call, QString name);

Q_SIGNALS:
    void imagesChanged();

private:
    QDBusMessage unsupported(const QDBusMessage &call) const;
    // The import on a worker thread; the job reports its progress and outcome.
    QCoro::Task<> runImport(Job *job, int fd, Containers::ImportRequest request, quint64 bytesTotal);
    static void publish(Job *job, const Containers::ImportProgress &progress);

    Containers::ContainerBackend *m_containers;
    JobObjects &m_jobs;
};

} // namespace Hamlet
