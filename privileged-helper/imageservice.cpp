#include "imageservice.h"

#include "freespace.h"

#include "containers/archiveimporter.h"
#include "containers/containerbackend.h"
#include "errors.h"
#include "imagepull.h"
#include "imagereference.h"
#include "logging.h"

#include <QPointer>
#include <QRegularExpression>
#include <QTimer>
#include <QtConcurrent>

#include <QCoro/QCoroFuture>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace Hamlet {

ImageService::ImageService(Containers::ContainerBackend *containers, JobObjects &jobs, QObject *parent)
    : QObject(parent)
    , m_containers(containers)
    , m_jobs(jobs)
{
    m_importPool.setObjectName(QStringLiteral("image imports"));
    m_importPool.setMaxThreadCount(MaxConcurrentImports);
}

ImageService::~ImageService()
{
    for (const std::weak_ptr<Containers::ImportProgress> &import : std::as_const(m_imports))
        if (const auto progress = import.lock())
            progress->cancel();
    m_importPool.waitForDone();
    if (m_pullThread) {
        m_pullThread->quit();
        m_pullThread->wait();
    }
}

QThread *ImageService::pullThread()
{
    if (!m_pullThread) {
        m_pullThread = new QThread(this);
        m_pullThread->setObjectName(QStringLiteral("image pulls"));
        m_pullThread->start();
    }
    return m_pullThread;
}

namespace {

// PullImage's options, checked before a job exists; "" or why not.
QString readPullOptions(const QVariantMap &options, Registry::RegistryOptions *registry, QString *platform)
{
    static const QStringList known {QStringLiteral("insecure"), QStringLiteral("username"), QStringLiteral("password"),
                                    QStringLiteral("auth"), QStringLiteral("platform")};
    for (auto it = options.begin(); it != options.end(); ++it) {
        if (!known.contains(it.key()))
            return QStringLiteral("unknown option \"%1\" (known: %2)").arg(it.key(), known.join(QStringLiteral(", ")));
        const bool isBool = it.key() == QLatin1String("insecure");
        if (isBool ? it.value().typeId() != QMetaType::Bool : it.value().typeId() != QMetaType::QString)
            return QStringLiteral("option \"%1\" must be a %2")
                .arg(it.key(), isBool ? QStringLiteral("boolean") : QStringLiteral("string"));
    }
    registry->insecure = options.value(QStringLiteral("insecure")).toBool();
    registry->username = options.value(QStringLiteral("username")).toString();
    registry->password = options.value(QStringLiteral("password")).toString();
    if (options.contains(QStringLiteral("auth"))) {
        const QByteArray decoded = QByteArray::fromBase64(options.value(QStringLiteral("auth")).toString().toLatin1());
        const qsizetype colon = decoded.indexOf(':');
        if (colon <= 0)
            return QStringLiteral("option \"auth\" must be base64 of \"user:password\", as in ~/.docker/config.json");
        registry->username = QString::fromUtf8(decoded.left(colon));
        registry->password = QString::fromUtf8(decoded.mid(colon + 1));
    }
    if (!registry->password.isEmpty() && registry->username.isEmpty())
        return QStringLiteral("a password needs a user name (option \"username\")");
    *platform = options.value(QStringLiteral("platform"), Registry::hostPlatform()).toString();
    static const QRegularExpression platformPattern(QStringLiteral("^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$"));
    if (!platformPattern.match(*platform).hasMatch())
        return QStringLiteral("platform \"%1\" is not os/arch[/variant] (e.g. linux/arm64)").arg(*platform);
    return {};
}

} // namespace

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
            {QStringLiteral("usedBy"),
             m_containers->containersUsing(image.manifestDigest)
                 + (m_vmsUsing ? m_vmsUsing(image.manifestDigest) : QStringList())},
        };
    }
    co_return call.createReply(QVariant::fromValue(rows));
}

QCoro::Task<QDBusMessage> ImageService::pull(QDBusMessage call, QString reference, QVariantMap options)
{
    if (!m_containers)
        co_return unsupported(call);
    QString problem;
    const std::optional<ImageReference> parsed = ImageReference::parse(reference, &problem);
    if (!parsed)
        co_return call.createErrorReply(Error::InvalidArgument, problem);
    Registry::RegistryOptions registry;
    QString platform;
    if (const QString bad = readPullOptions(options, &registry, &platform); !bad.isEmpty())
        co_return call.createErrorReply(Error::InvalidArgument, QStringLiteral("PullImage: ") + bad);

    Job *job = m_jobs.create(QStringLiteral("pull-image"), QStringLiteral("dev.hamlet.images"), call.service());
    auto *pull = new Registry::ImagePull(*parsed, registry, platform, &m_containers->imageStore());
    pull->moveToThread(pullThread());
    // The pull lives in its thread; the job is updated here, on the main thread, from its signals.
    connect(pull, &Registry::ImagePull::progress, job,
            [job](const VariantMapList &layers, qulonglong done, qulonglong total) {
                job->setLayers(layers);
                job->setProgress(done, total);
            });
    const QPointer<Job> jobAlive(job);
    connect(pull, &Registry::ImagePull::finished, this,
            [this, job = jobAlive, pull](bool ok, const QString &errorName, const QString &message) {
                pull->deleteLater();
                if (ok)
                    Q_EMIT imagesChanged();
                if (!job)
                    return;
                if (ok)
                    job->complete(std::nullopt);
                else
                    job->complete(ErrorReply {errorName, message});
            });
    connect(job, &Job::cancelRequested, pull, &Registry::ImagePull::cancel);
    QMetaObject::invokeMethod(pull, &Registry::ImagePull::start, Qt::QueuedConnection);
    Log::helper()->info("pull of {} ({}) started as {}", parsed->name(), reference, job->path());
    co_return call.createReply(QVariant::fromValue(QDBusObjectPath(job->path())));
}

QCoro::Task<QDBusMessage> ImageService::importArchive(QDBusMessage call, QDBusUnixFileDescriptor archive,
                                                      QString format, QVariantMap options)
{
    if (!m_containers)
        co_return unsupported(call);
    const Containers::Result<Containers::ImportRequest> request
        = Containers::ImportRequest::fromOptions(format, options);
    if (!request)
        co_return call.createErrorReply(request.error().name, request.error().message);
    const int accessMode = archive.isValid() ? ::fcntl(archive.fileDescriptor(), F_GETFL) & O_ACCMODE : -1;
    if (accessMode != O_RDONLY && accessMode != O_RDWR)
        co_return call.createErrorReply(Error::InvalidArgument,
                                        QStringLiteral("the archive must be a file descriptor open for reading"));
    // Our own copy: the caller's message (and its fd) goes away when this returns.
    const int fd = ::fcntl(archive.fileDescriptor(), F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        co_return call.createErrorReply(Error::Failed, QStringLiteral("cannot take the archive's file descriptor"));
    struct stat info {
    };
    quint64 total = 0;
    if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
        const off_t position = ::lseek(fd, 0, SEEK_CUR);
        total = static_cast<quint64>(info.st_size - (position > 0 ? position : 0));
    }
    if (const QString full = Containers::notEnoughSpace(m_containers->imageStore().root(), total); !full.isEmpty()) {
        ::close(fd);
        co_return call.createErrorReply(Error::InvalidArgument, QStringLiteral("cannot import the archive: ") + full);
    }
    Job *job = m_jobs.create(QStringLiteral("import-image"), QStringLiteral("dev.hamlet.images"), call.service());
    Log::helper()->info("importing a {} archive ({} bytes) as job {}", format, total, job->id());
    runImport(job, fd, *request, total); // runs on; the job reports the outcome
    co_return call.createReply(QVariant::fromValue(QDBusObjectPath(job->path())));
}

void ImageService::publish(Job *job, const Containers::ImportProgress &progress)
{
    const Containers::ImportProgress::Snapshot now = progress.snapshot();
    job->setProgress(now.bytesDone, now.bytesTotal);
    // Reading is most of the work; unpacking the layers is the rest.
    double reading = now.bytesTotal > 0 ? std::min(1.0, double(now.bytesDone) / double(now.bytesTotal)) : 0.0;
    double unpacking = 0.0;
    if (!now.layers.isEmpty()) {
        reading = 1.0;
        for (const auto &layer : now.layers)
            unpacking += layer.state == QStringLiteral("done") || layer.state == QStringLiteral("exists") ? 1.0 : 0.0;
        unpacking /= double(now.layers.size());
    }
    job->setFraction(0.8 * reading + 0.2 * unpacking);
    VariantMapList layers;
    for (const auto &layer : now.layers) {
        layers << QVariantMap {{QStringLiteral("digest"), layer.digest},
                               {QStringLiteral("bytesDone"), QVariant::fromValue<qulonglong>(layer.bytesDone)},
                               {QStringLiteral("bytesTotal"), QVariant::fromValue<qulonglong>(layer.bytesTotal)},
                               {QStringLiteral("state"), layer.state}};
    }
    job->setLayers(layers);
}

QCoro::Task<> ImageService::runImport(Job *job, int fd, Containers::ImportRequest request, quint64 bytesTotal)
{
    auto archive = std::make_shared<Containers::UniqueFd>(fd);
    auto progress = std::make_shared<Containers::ImportProgress>();
    progress->setBytesTotal(bytesTotal);
    m_imports.removeIf([](const std::weak_ptr<Containers::ImportProgress> &import) { return import.expired(); });
    m_imports << progress;
    const QPointer<Job> guard(job);
    connect(job, &Job::cancelRequested, this, [progress] { progress->cancel(); });
    QTimer ticker;
    ticker.setInterval(100);
    connect(&ticker, &QTimer::timeout, this, [guard, progress] {
        if (guard)
            publish(guard, *progress);
    });
    ticker.start();

    Containers::ImageStore *store = &m_containers->imageStore();
    Containers::ArchiveImporter::Limits limits;
    limits.maxBlobBytes = store->layerLimits().maxBytes;
    auto work = [store, archive, request, limits, progress] { // named: GCC 12 and temporaries in co_await
        Containers::ArchiveImporter importer(*store, request, limits, *progress);
        return importer.run(archive->get());
    };
    // On the imports' own pool: an import waits on the caller's pipe for as long as the caller
    // likes, which must never take a thread from Qt's global pool (ListImages and creates use it).
    QFuture<Containers::Result<Containers::ImageInfo>> running = QtConcurrent::run(&m_importPool, std::move(work));
    const Containers::Result<Containers::ImageInfo> imported = co_await running;
    ticker.stop();
    if (!guard)
        co_return;
    publish(guard, *progress);
    if (!imported) {
        Log::helper()->warn("import job {} failed: {}", guard->id(), imported.error().message);
        guard->complete(imported.error());
        co_return;
    }
    Log::helper()->info("imported image {} ({} layers, {})", imported->name, imported->layerDigests.size(),
                        imported->manifestDigest);
    Q_EMIT imagesChanged();
    guard->complete(std::nullopt);
}

QCoro::Task<QDBusMessage> ImageService::remove(QDBusMessage call, QString name)
{
    if (!m_containers)
        co_return unsupported(call);
    Containers::ImageStore *store = &m_containers->imageStore();
    auto find = [store] { return store->images(); }; // named: GCC 12 and temporaries in co_await
    QFuture<QList<Containers::ImageInfo>> finding = QtConcurrent::run(std::move(find));
    const QList<Containers::ImageInfo> before = co_await finding;
    QString digest;
    bool shared = false; // another name for the same manifest keeps it, and its VMs
    for (const Containers::ImageInfo &image : before) {
        if (image.name == name)
            digest = image.manifestDigest;
    }
    for (const Containers::ImageInfo &image : before)
        shared = shared || (image.name != name && !digest.isEmpty() && image.manifestDigest == digest);
    if (!digest.isEmpty() && !shared && m_vmsUsing) {
        if (const QStringList vms = m_vmsUsing(digest); !vms.isEmpty())
            co_return call.createErrorReply(Error::Busy,
                                            QStringLiteral("image \"%1\" is used by the VM %2: delete those VMs first")
                                                .arg(name, vms.join(QStringLiteral(", "))));
    }
    const Containers::Status removed = co_await m_containers->removeImage(name);
    if (!removed)
        co_return call.createErrorReply(removed.error().name, removed.error().message);
    if (!digest.isEmpty() && !shared && m_digestDropped)
        m_digestDropped(digest); // e.g. the VMs' cached disk of the image
    Log::helper()->info("image {} removed", name);
    Q_EMIT imagesChanged();
    co_return call.createReply();
}

} // namespace Hamlet
