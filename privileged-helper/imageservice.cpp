#include "imageservice.h"

#include "containers/containerbackend.h"
#include "errors.h"
#include "logging.h"

#include <QtConcurrent>

#include <QCoro/QCoroFuture>

namespace Hamlet {

ImageService::ImageService(Containers::ContainerBackend *containers, JobObjects &jobs, QObject *parent)
    : QObject(parent)
    , m_containers(containers)
    , m_jobs(jobs)
{ }

QDBusMessage ImageService::unsupported(const QDBusMessage &call) const
{
    return call.createErrorReply(Error::Unsupported,
                                 QStringLiteral("Images need the container backend, which is unavailable on this "
                                                "host (no OCI runtime): install 'runc'."));
}

QCoro::Task<QDBusMessage> ImageService::list(QDBusMessage call)
{
    if (!m_containers)
        co_return unsupported(call);
    Containers::ImageStore *store = &m_containers->imageStore();
    auto read = [store] { return store->images(); }; // named: GCC 12 and temporaries in co_await
    QFuture<QList<Containers::ImageInfo>> reading = QtConcurrent::run(std::move(read));
    const QList<Containers::ImageInfo> images = co_await reading;
    VariantMapList rows;
    for (const Containers::ImageInfo &image : images) {
        rows << QVariantMap {
            {QStringLiteral("name"), image.name},
            {QStringLiteral("digest"), image.manifestDigest},
            {QStringLiteral("size"), QVariant::fromValue<qulonglong>(image.size)},
            {QStringLiteral("layers"), QVariant::fromValue<uint>(image.layerDigests.size())},
            {QStringLiteral("created"),
             QVariant::fromValue<qlonglong>(image.created.isValid() ? image.created.toSecsSinceEpoch() : 0)},
            {QStringLiteral("pulledAt"), QVariant::fromValue<qlonglong>(image.addedAt.toSecsSinceEpoch())},
            {QStringLiteral("source"), image.source},
            {QStringLiteral("usedBy"), m_containers->containersUsing(image.manifestDigest)},
        };
    }
    co_return call.createReply(QVariant::fromValue(rows));
}

QCoro::Task<QDBusMessage> ImageService::pull(QDBusMessage call, QString reference, QVariantMap options)
{
    Q_UNUSED(reference);
    Q_UNUSED(options);
    if (!m_containers)
        co_return unsupported(call);
    co_return call.createErrorReply(Error::Unsupported, QStringLiteral("Pulling images is not implemented yet."));
}

QCoro::Task<QDBusMessage> ImageService::importArchive(QDBusMessage call, QDBusUnixFileDescriptor archive,
                                                      QString format, QVariantMap options)
{
    Q_UNUSED(archive);
    Q_UNUSED(format);
    Q_UNUSED(options);
    if (!m_containers)
        co_return unsupported(call);
    co_return call.createErrorReply(Error::Unsupported, QStringLiteral("Importing images is not implemented yet."));
}

QCoro::Task<QDBusMessage> ImageService::remove(QDBusMessage call, QString name)
{
    if (!m_containers)
        co_return unsupported(call);
    const Containers::Status removed = co_await m_containers->removeImage(name);
    if (!removed)
        co_return call.createErrorReply(removed.error().name, removed.error().message);
    Log::helper()->info("image {} removed", name);
    Q_EMIT imagesChanged();
    co_return call.createReply();
}

} // namespace Hamlet
