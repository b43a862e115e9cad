#include "containerbackend.h"

#include "busyboximage.h"
#include "consolesocket.h"
#include "exitwatcher.h"
#include "failpoints.h"
#include "idmappedmount.h"
#include "imagereference.h"
#include "logging.h"
#include "names.h"
#include "ociconfig.h"
#include "overlaymount.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QtConcurrent/QtConcurrentRun>

#include <QCoro/QCoroFuture>
#include <QCoro/QCoroTimer>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace Hamlet::Containers {

ContainerBackend::ContainerBackend(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_images(m_options.stateDir + QStringLiteral("/images"))
    , m_runtime(m_options.runtime, m_options.runDir + QStringLiteral("/runc"))
    , m_reaper(
          [this](qint64 pid) {
              for (const auto &[name, container] : m_containers) {
                  if (container->pid == pid)
                      return true;
              }
              return m_execs.contains(pid);
          },
          m_options.orphanReapInterval)
{
    LayerExtractor::Limits limits;
    limits.maxBytes = m_options.maxLayerBytes;
    m_images.setLayerLimits(limits);
    m_runtime.setTimeout(m_options.runtimeTimeout);
    m_logTimer.setInterval(std::chrono::seconds(5));
    connect(&m_logTimer, &QTimer::timeout, this, &ContainerBackend::enforceLogLimits);
}

ContainerBackend::~ContainerBackend() = default;

QString ContainerBackend::bundlePath(const QString &name) const
{
    return m_options.stateDir + QStringLiteral("/containers/") + name;
}

QString ContainerBackend::recordPath(const QString &name) const
{
    return m_options.stateDir + QStringLiteral("/instances/") + name + QStringLiteral(".json");
}

QString ContainerBackend::cgroupsPath(const QString &name) const
{
    return m_options.cgroupParent + QLatin1Char('/') + name;
}

ContainerCgroup ContainerBackend::cgroupOf(const QString &name) const
{
    return ContainerCgroup(m_options.cgroupVersion, cgroupsPath(name));
}

QString ContainerBackend::logPath(const QString &name) const
{
    return bundlePath(name) + QStringLiteral("/container.log");
}

ContainerBackend::Container *ContainerBackend::find(const QString &name) const
{
    const auto found = m_containers.find(name);
    return found == m_containers.end() ? nullptr : found->second.get();
}

QStringList ContainerBackend::names() const
{
    QStringList list;
    for (const auto &[name, container] : m_containers)
        list << name;
    return list;
}

QStringList ContainerBackend::containersUsing(const QString &manifestDigest) const
{
    QStringList users;
    for (const auto &[name, container] : m_containers) {
        if (container->record.imageDigest == manifestDigest)
            users << name;
    }
    return users;
}

std::optional<ContainerInfo> ContainerBackend::info(const QString &name) const
{
    const Container *container = find(name);
    if (!container)
        return std::nullopt;
    const ContainerRecord &record = container->record;
    return ContainerInfo {record.spec,           record.state,         record.exitCode,   record.error,
                          record.createdAt,      record.startedAt,     record.finishedAt, record.restartCount,
                          record.firstRestartAt, record.lastRestartAt, container->pid,    bundlePath(name),
                          cgroupsPath(name)};
}

void ContainerBackend::setState(Container &container, ContainerState state, int exitCode, const QString &error)
{
    ContainerRecord &record = container.record;
    record.state = state;
    record.exitCode = exitCode;
    record.error = error;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (state == ContainerState::Running && container.pid != 0 && !record.startedAt.isValid())
        record.startedAt = now;
    if (state == ContainerState::Stopped || state == ContainerState::Failed || state == ContainerState::Restarting)
        record.finishedAt = now;
    if (state != ContainerState::Creating) {
        if (const Status saved = record.save(recordPath(record.spec.name)); !saved)
            Log::containers()->error("{}", saved.error().message);
    }
    Log::containers()->info("container {}: {}{}", record.spec.name, toString(state),
                            exitCode >= 0 ? QStringLiteral(" (exit code %1)").arg(exitCode) : QString());
    Q_EMIT stateChanged(record.spec.name, toString(state), exitCode);
}

Result<ContainerSpec> ContainerBackend::validate(const QString &name, const QVariantMap &map) const
{
    Result<ContainerSpec> spec = ContainerSpec::fromVariantMap(name, map, m_options.hostCpus);
    if (!spec)
        return spec;
    if (find(name))
        return ErrorReply {Error::Exists, QStringLiteral("a container named \"%1\" exists already").arg(name)};
    const Result<QString> image = resolveImage(spec->image);
    if (!image)
        return image.error();
    spec->image = *image;
    return spec;
}

Result<QString> ContainerBackend::resolveImage(const QString &reference) const
{
    if (reference == BusyboxImage::kName || m_images.contains(reference))
        return reference;
    // A short name ("alpine") finds the image stored under its normalised name.
    const std::optional<ImageReference> parsed = ImageReference::parse(reference);
    if (parsed && m_images.contains(parsed->name()))
        return parsed->name();
    return invalidArgument(
        QStringLiteral("there is no image \"%1\": pull or import it first, or use \"busybox\"").arg(reference));
}

QCoro::Task<Result<ContainerBackend::PreparedImage>> ContainerBackend::prepareImage(QString name)
{
    ImageStore *images = &m_images;
    const QString busybox = m_options.busybox;
    auto prepare = [images, busybox, name]() -> Result<PreparedImage> { // named: see create()
        Result<ImageInfo> image
            = name == BusyboxImage::kName ? BusyboxImage::ensure(*images, busybox) : images->image(name);
        if (!image)
            return image.error();
        Result<QStringList> layers = images->unpackLayers(*image);
        if (!layers)
            return layers.error();
        QStringList bottomFirst(layers->crbegin(), layers->crend());
        return PreparedImage {*image, bottomFirst};
    };
    QFuture<Result<PreparedImage>> preparing = QtConcurrent::run(std::move(prepare));
    co_return co_await preparing;
}

QCoro::Task<Status> ContainerBackend::create(ContainerSpec spec)
{
    const QString name = spec.name;
    // The name becomes paths and a cgroup: never trust that validate() was called.
    if (const QString problem = instanceNameProblem(name); !problem.isEmpty())
        co_return invalidArgument(problem);
    if (find(name))
        co_return ErrorReply {Error::Exists, QStringLiteral("a container named \"%1\" exists already").arg(name)};
    // The image and its layers, on a worker thread: building busybox and unpacking are slow.
    const QString busybox = m_options.busybox;
    const QString imageName = spec.image;
    ImageStore *images = &m_images;
    struct Prepared {
        Result<ImageInfo> image;
        Result<QStringList> lowerDirs;
    };
    // The lambda is a named local: GCC 12 destroys a capturing lambda twice when it is made
    // inside a co_await expression (a use-after-free seen under valgrind).
    auto prepare = [images, busybox, imageName]() {
        Result<ImageInfo> image
            = imageName == BusyboxImage::kName ? BusyboxImage::ensure(*images, busybox) : images->image(imageName);
        if (!image)
            return Prepared {image, image.error()};
        return Prepared {image, images->unpackLayers(*image)};
    };
    QFuture<Prepared> preparing = QtConcurrent::run(std::move(prepare));
    const Prepared prepared = co_await preparing;
    if (!prepared.image) {
        if (prepared.image.error().name == Error::NotFound)
            co_return invalidArgument(prepared.image.error().message);
        co_return prepared.image.error();
    }
    if (!prepared.lowerDirs)
        co_return prepared.lowerDirs.error();
    if (find(name)) // created by someone else while this one unpacked
        co_return ErrorReply {Error::Exists, QStringLiteral("a container named \"%1\" exists already").arg(name)};
    if (std::optional<ErrorReply> failPoint = FailPoints::hit(FailPoints::ContainerImageResolved))
        co_return *failPoint;

    // Picked and recorded with no co_await between: two creates never get the same range.
    std::optional<IdRange> idMap;
    if (spec.userns == QLatin1String("auto")) {
        const Result<IdRange> ids = allocateIds();
        if (!ids)
            co_return ids.error();
        idMap = *ids;
    }
    auto owned = std::make_unique<Container>();
    Container &container = *owned;
    container.record.spec = std::move(spec);
    container.record.idMap = idMap;
    container.record.createdAt = QDateTime::currentDateTimeUtc();
    container.record.imageDigest = prepared.image->manifestDigest;
    container.record.diffIds = prepared.image->diffIds;
    container.record.lowerDirs = *prepared.lowerDirs;
    container.record.imageConfig = prepared.image->config;
    m_containers.emplace(name, std::move(owned));
    const BusyGuard guard(container);
    Q_EMIT containerAdded(name);
    setState(container, ContainerState::Creating);

    const Status launched = co_await launch(container);
    if (!launched) {
        // Visible as failed, with the reason, until deleted: the person asked for it and
        // should see why it did not run.
        setState(container, ContainerState::Failed, -1, launched.error().message);
        co_return launched;
    }
    co_return success();
}

QCoro::Task<Status> ContainerBackend::removeImage(QString image)
{
    ImageStore *images = &m_images;
    struct Found {
        Result<ImageInfo> info;
        bool sharedManifest = false; // another name for the same manifest keeps what it needs
    };
    auto find = [images, image] { // named: see create()
        Found found {images->image(image)};
        if (found.info) {
            for (const ImageInfo &other : images->images())
                found.sharedManifest = found.sharedManifest
                    || (other.name != image && other.manifestDigest == found.info->manifestDigest);
        }
        return found;
    };
    QFuture<Found> finding = QtConcurrent::run(std::move(find));
    const Found found = co_await finding;
    if (!found.info)
        co_return found.info.error();
    const QStringList users = found.sharedManifest ? QStringList() : containersUsing(found.info->manifestDigest);
    QStringList layersInUse;
    for (const auto &[name, container] : m_containers)
        layersInUse << container->record.diffIds;
    if (!users.isEmpty())
        co_return ErrorReply {Error::Busy,
                              QStringLiteral("image \"%1\" is used by %2: delete those containers first")
                                  .arg(image, users.join(QStringLiteral(", ")))};
    // index.json is rewritten (with fsyncs) and the store swept: both off the event loop.
    auto removeAndCollect = [images, image, layersInUse]() -> Result<quint64> { // named: see create()
        if (Status removed = images->removeImage(image); !removed)
            return removed.error();
        return images->garbageCollect(layersInUse);
    };
    QFuture<Result<quint64>> removing = QtConcurrent::run(std::move(removeAndCollect));
    const Result<quint64> freed = co_await removing;
    if (!freed)
        co_return freed.error();
    Log::containers()->info("image {} removed, {} bytes freed", image, *freed);
    co_return success();
}

QCoro::Task<Status> ContainerBackend::launch(Container &container)
{
    const QString name = container.record.spec.name;
    const QString bundle = bundlePath(name);
    const QString rootfs = bundle + QStringLiteral("/rootfs");
    for (const QString &dir : {rootfs, bundle + QStringLiteral("/upper"), bundle + QStringLiteral("/work")}) {
        if (!QDir().mkpath(dir))
            co_return failed(QStringLiteral("cannot create %1: is the state directory writable?").arg(dir));
    }
    for (const QString &lower : std::as_const(container.record.lowerDirs)) {
        if (!QFileInfo(lower).isDir())
            co_return failed(QStringLiteral("a layer of image %1 is missing (%2): remove the container and create it "
                                            "again")
                                 .arg(container.record.spec.image, lower));
    }
    if (!OverlayMount::isMountPoint(rootfs)) {
        if (Status mounted = mountRootfs(container); !mounted)
            co_return mounted;
    }
    auto undo = [this, rootfs, name]() -> QCoro::Task<> {
        co_await m_runtime.remove(name, true);
        OverlayMount::unmount(rootfs);
        co_await releaseNetwork(name);
    };
    if (std::optional<ErrorReply> failPoint = FailPoints::hit(FailPoints::ContainerOverlayMounted)) {
        co_await undo();
        co_return *failPoint;
    }

    Result<OciConfig::HostFacts> facts = OciConfig::HostFacts::current(m_options.cgroupVersion, cgroupsPath(name));
    if (facts) {
        facts->idMap = container.record.idMap;
        if (Status networked = co_await prepareNetwork(container, *facts); !networked)
            facts = networked.error();
        else if (std::optional<ErrorReply> failPoint = FailPoints::hit(FailPoints::ContainerNetworkReady))
            facts = *failPoint;
    }
    Result<QJsonObject> config = facts ? OciConfig::build(container.record.spec, container.record.imageConfig, *facts)
                                       : Result<QJsonObject>(facts.error());
    Status written = config
        ? writeFileAtomically(bundle + QStringLiteral("/config.json"), QJsonDocument(*config).toJson())
        : Status(config.error());
    if (!written) {
        co_await undo();
        co_return written;
    }

    // A leftover runtime container of this name (a stopped run, a crash) would block create.
    // The runtime keeps one directory per container under its root: no directory, nothing left.
    if (QFileInfo::exists(m_runtime.stateRoot() + QLatin1Char('/') + name))
        co_await m_runtime.remove(name, true);
    const QString pidFile = bundle + QStringLiteral("/init.pid");
    QFile::remove(pidFile);
    std::optional<ConsoleSocket> console;
    UniqueFd log;
    OciRuntime::Stdio stdio;
    if (container.record.spec.tty) {
        QDir().mkpath(m_options.runDir + QStringLiteral("/console"));
        Result<ConsoleSocket> socket
            = ConsoleSocket::listen(m_options.runDir + QStringLiteral("/console/") + name + QStringLiteral(".sock"));
        if (!socket) {
            co_await undo();
            co_return socket.error();
        }
        console.emplace(std::move(socket).value());
    } else {
        log.reset(
            ::open(QFile::encodeName(logPath(name)).constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
        stdio.out = stdio.err = log.get();
    }

    // Bound first: GCC 12 destroys a temporary made inside a co_await expression twice.
    const QString consoleSocketPath = console ? console->path() : QString();
    // create + start in one runtime process: a container's start is mostly the runtime's own.
    Status created = co_await m_runtime.run(name, bundle, pidFile, consoleSocketPath, stdio);
    IdmappedMount::unpin(usernsPath(name)); // joined by now: the container's processes hold it
    if (created && console) {
        Result<UniqueFd> master = console->receiveMaster();
        if (master)
            container.consoleMaster = std::move(master).value();
        else
            created = master.error();
    }
    const qint64 pid = created ? readSmallFile(pidFile).trimmed().toLongLong() : 0;
    if (created && pid <= 0)
        created = failed(QStringLiteral("the runtime started container %1 but wrote no pid to %2").arg(name, pidFile));
    if (created) {
        if (std::optional<ErrorReply> failPoint = FailPoints::hit(FailPoints::ContainerRuntimeStarted))
            created = *failPoint;
    }
    if (!created) {
        co_await undo();
        co_return created;
    }
    // The helper is the child subreaper: an init that already exited is a zombie of ours until
    // the watcher (a pidfd, which works on a zombie) collects it with its exit code.
    watchExit(container, pid);
    container.record.startedAt = QDateTime::currentDateTimeUtc();
    if (container.pid == 0) {
        // Gone before it could be watched: "stopped" already; only the runtime's leftovers remain.
        co_await undo();
        co_return success();
    }
    // If it exits from now on, the exit arrives through the watcher after this state.
    setState(container, ContainerState::Running);
    if (!container.record.spec.tty)
        m_logTimer.start();
    co_return success();
}

void ContainerBackend::watchExit(Container &container, qint64 pid)
{
    container.pid = pid;
    delete container.watcher;
    container.watcher = ExitWatcher::watch(pid, this);
    const QString name = container.record.spec.name;
    if (!container.watcher) {
        // Gone before we could watch it: report it as an exit with an unknown status.
        QMetaObject::invokeMethod(
            this, [this, name] { onExited(name, -1); }, Qt::QueuedConnection);
        return;
    }
    connect(container.watcher, &ExitWatcher::exited, this, [this, name](int exitCode) { onExited(name, exitCode); });
}

void ContainerBackend::onExited(const QString &name, int exitCode)
{
    Container *container = find(name);
    if (!container || container->pid == 0)
        return;
    if (container->watcher) {
        container->watcher->deleteLater();
        container->watcher = nullptr;
    }
    container->pid = 0;
    container->consoleMaster.reset();
    if (container->busy) { // a Stop, Delete or Restart of a person's: no policy applies
        setState(*container, ContainerState::Stopped, exitCode);
        return; // the operation in progress cleans up
    }
    releaseRuntime(name); // before a restart's launch, which waits for it (settled())
    settleExit(*container, exitCode);
}

QCoro::Task<> ContainerBackend::releaseRuntime(QString name)
{
    // The runtime's record and the cgroup go now; the rootfs mount too, so a stopped container
    // holds nothing but its directory. start() sets them up again.
    Container *container = find(name);
    if (!container || container->busy || container->releasing)
        co_return;
    container->releasing = true;
    co_await m_runtime.remove(name, true);
    OverlayMount::unmount(bundlePath(name) + QStringLiteral("/rootfs"));
    co_await releaseNetwork(name);
    container->releasing = false; // nothing removes a container while this runs: see settled()
}

QCoro::Task<ContainerBackend::Container *> ContainerBackend::settled(QString name)
{
    // The verbs wait for the clean-up after an exit instead of failing with Busy: the person did
    // nothing concurrent, the container just ended a moment ago.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        Container *container = find(name);
        if (!container || !container->releasing)
            co_return container;
        co_await QCoro::sleepFor(std::chrono::milliseconds(20));
    }
    co_return find(name);
}

QCoro::Task<Status> ContainerBackend::waitForExit(QString name, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const Container *container = find(name);
        if (!container || container->pid == 0)
            co_return success();
        // The watcher's notification is what ends this; the timer only bounds the wait.
        co_await QCoro::sleepFor(std::chrono::milliseconds(20));
    }
    co_return failed(QStringLiteral("container %1 did not exit within %2 ms").arg(name).arg(timeout.count()));
}

} // namespace Hamlet::Containers
