#include "manager.h"

#include "dbusnames.h"
#include "errors.h"
#include "historyreply.h"
#include "logging.h"
#include "names.h"
#include "viewer.h"

#include <QDBusPendingReply>

#include <QCoro/QCoroDBus>
#include <QCoro/QCoroFuture>

namespace Hamlet {

namespace {
const QString MonitorAction = QStringLiteral("dev.hamlet.monitor");
const QString CreateAction = QStringLiteral("dev.hamlet.create");
const QString ImagesAction = QStringLiteral("dev.hamlet.images");

QDBusMessage noImageService(const QDBusMessage &call)
{
    return call.createErrorReply(Error::Unsupported, QStringLiteral("The helper is still starting; try again."));
}
} // namespace

Manager::Manager(QDBusConnection bus, CallGate &gate, Capabilities capabilities, InstanceRegistry &registry,
                 JobObjects &jobs, Subscriptions &subscriptions, QObject *parent)
    : QObject(parent)
    , m_bus(std::move(bus))
    , m_gate(gate)
    , m_capabilities(std::move(capabilities))
    , m_registry(registry)
    , m_jobs(jobs)
    , m_subscriptions(subscriptions)
{
    // InstanceAdded/InstanceRemoved are never emitted here (the adaptor would broadcast them):
    // InstanceSignals sends them to subscribers only.
}

QVariantMap Manager::GetCapabilities()
{
    m_gate.serve(*this, {MonitorAction, QStringLiteral("GetCapabilities")},
                 CallGate::immediate([this](const QDBusMessage &call) {
                     return call.createReply(QVariant(m_capabilities.toVariantMap()));
                 }));
    return {};
}

InstanceSummaryList Manager::ListInstances()
{
    m_gate.serve(*this, {MonitorAction, QStringLiteral("ListInstances")},
                 CallGate::immediate([this](const QDBusMessage &call) {
                     return call.createReply(QVariant::fromValue(m_registry.summaries()));
                 }));
    return {};
}

QDBusObjectPath Manager::CreateContainer(const QString &name, const QVariantMap &spec)
{
    serveCreate(QStringLiteral("container"), name, spec);
    return {};
}

QDBusObjectPath Manager::CreateVm(const QString &name, const QVariantMap &spec)
{
    serveCreate(QStringLiteral("vm"), name, spec);
    return {};
}

void Manager::serveCreate(const QString &kind, const QString &name, const QVariantMap &spec)
{
    const QString verb = kind == QLatin1String("vm") ? QStringLiteral("CreateVm") : QStringLiteral("CreateContainer");
    // A name that can never be valid is refused before polkit is asked: no password prompt for
    // a request that cannot succeed.
    if (const QString problem = instanceNameProblem(name); !problem.isEmpty()) {
        sendErrorReply(Error::InvalidArgument, problem);
        return;
    }
    m_gate.serve(*this, {CreateAction, verb, name},
                 [this, kind, name, spec](const QDBusMessage &call) { return startCreate(call, kind, name, spec); });
}

QCoro::Task<QDBusMessage> Manager::startCreate(QDBusMessage call, QString kind, QString name, QVariantMap spec)
{
    InstanceBackend *backend = m_registry.backendFor(kind);
    if (!backend)
        co_return call.createErrorReply(Error::Unsupported,
                                        QStringLiteral("This helper cannot create %1s; see its log.").arg(kind));
    if (const QString problem = instanceNameProblem(name); !problem.isEmpty())
        co_return call.createErrorReply(Error::InvalidArgument, problem);
    if (!m_registry.reserve(name))
        co_return call.createErrorReply(
            Error::Exists, QStringLiteral("An instance named '%1' exists already: choose another name.").arg(name));
    const uint uid = co_await connectionUid(m_bus, call.service());
    // uid is the owner the backend records
    const Caller caller {call.service(), uid, call.isInteractiveAuthorizationAllowed()};
    if (const Outcome invalid = co_await backend->validate(name, spec, caller)) {
        m_registry.release(name);
        co_return call.createErrorReply(invalid->name, invalid->message);
    }
    Job *job = m_jobs.create(QStringLiteral("create-%1").arg(kind), CreateAction, call.service());
    runCreate(backend, name, spec, caller, job); // runs on; the job reports the outcome
    co_return call.createReply(QVariant::fromValue(QDBusObjectPath(job->path())));
}

QCoro::Task<> Manager::runCreate(InstanceBackend *backend, QString name, QVariantMap spec, Caller caller, Job *job)
{
    Log::helper()->info("creating {} {}", backend->kind(), name);
    const Expected<InstanceInfo> created = co_await backend->create(name, spec, caller, job);
    if (!created.ok()) {
        Log::helper()->warn("creating {} failed: {}", name, created.error().message);
        // A process that could not start leaves its instance visible as "failed", with the reason.
        if (const std::optional<InstanceInfo> leftover = backend->find(name))
            m_registry.add(*leftover);
        else
            m_registry.release(name);
        job->complete(created.error());
        co_return;
    }
    m_registry.add(created.value());
    job->complete(std::nullopt, Bus::instancePath(name));
}

void Manager::setImageService(ImageService *images)
{
    m_images = images;
    connect(images, &ImageService::imagesChanged, this, &Manager::ImagesChanged);
}

VariantMapList Manager::ListImages()
{
    m_gate.serve(*this, {MonitorAction, QStringLiteral("ListImages")}, [this](const QDBusMessage &call) {
        return m_images ? m_images->list(call) : CallGate::immediate(noImageService)(call);
    });
    return {};
}

QDBusObjectPath Manager::PullImage(const QString &reference, const QVariantMap &options)
{
    m_gate.serve(
        *this, {ImagesAction, QStringLiteral("PullImage")}, [this, reference, options](const QDBusMessage &call) {
            return m_images ? m_images->pull(call, reference, options) : CallGate::immediate(noImageService)(call);
        });
    return {};
}

QDBusObjectPath Manager::ImportImage(const QDBusUnixFileDescriptor &archive, const QString &format,
                                     const QVariantMap &options)
{
    m_gate.serve(*this, {ImagesAction, QStringLiteral("ImportImage")},
                 [this, archive, format, options](const QDBusMessage &call) {
                     return m_images ? m_images->importArchive(call, archive, format, options)
                                     : CallGate::immediate(noImageService)(call);
                 });
    return {};
}

void Manager::RemoveImage(const QString &name)
{
    m_gate.serve(*this, {ImagesAction, QStringLiteral("RemoveImage")}, [this, name](const QDBusMessage &call) {
        return m_images ? m_images->remove(call, name) : CallGate::immediate(noImageService)(call);
    });
}

void Manager::Subscribe(uint intervalMs)
{
    m_gate.serve(*this, {MonitorAction, QStringLiteral("Subscribe")},
                 [this, intervalMs](const QDBusMessage &call) -> QCoro::Task<QDBusMessage> {
                     if (intervalMs != 0
                         && (intervalMs < Subscriptions::MinIntervalMs || intervalMs > Subscriptions::MaxIntervalMs))
                         co_return call.createErrorReply(
                             Error::InvalidArgument,
                             QStringLiteral("The sampling interval %1 ms is outside %2..%3 ms (0: no samples).")
                                 .arg(intervalMs)
                                 .arg(Subscriptions::MinIntervalMs)
                                 .arg(Subscriptions::MaxIntervalMs));
                     const Viewer viewer = co_await viewerOf(m_bus, m_gate.authorizer(), call.service());
                     m_subscriptions.add(viewer, intervalMs);
                     co_return call.createReply();
                 });
}

void Manager::Unsubscribe()
{
    m_gate.serve(*this, {MonitorAction, QStringLiteral("Unsubscribe")},
                 CallGate::immediate([this](const QDBusMessage &call) {
                     m_subscriptions.remove(call.service());
                     return call.createReply();
                 }));
}

} // namespace Hamlet

namespace Hamlet {

qlonglong Manager::GetHistory(const QString &name, qlonglong fromNs, qlonglong toNs, uint maxPoints, TimeList &,
                              HistorySeriesList &)
{
    m_gate.serve(*this, {MonitorAction, QStringLiteral("GetHistory"), name},
                 [this, name, fromNs, toNs, maxPoints](const QDBusMessage &call) {
                     return readHistory(call, name, fromNs, toNs, maxPoints);
                 });
    return 0;
}

QCoro::Task<QDBusMessage> Manager::readHistory(QDBusMessage call, QString name, qlonglong fromNs, qlonglong toNs,
                                               uint maxPoints)
{
    if (!m_registry.contains(name))
        co_return call.createErrorReply(
            Error::NotFound, QStringLiteral("There is no instance named '%1': see ListInstances.").arg(name));
    if (toNs < fromNs)
        co_return call.createErrorReply(Error::InvalidArgument,
                                        QStringLiteral("The window ends (toNs) before it starts (fromNs)."));
    if (!m_history || !m_history->isOpen())
        co_return call.createErrorReply(
            Error::Failed,
            QStringLiteral("This helper records no history (its store could not be opened): see its log."));
    // Whole milliseconds that cover [fromNs, toNs].
    const qlonglong fromMs = fromNs / 1'000'000 + (fromNs % 1'000'000 > 0 ? 1 : 0);
    const qlonglong toMs = toNs / 1'000'000 - (toNs % 1'000'000 < 0 ? 1 : 0);
    QFuture<History::ReadResult> reading = m_history->read(name, fromMs, toMs, maxPoints); // named: GCC 12
    const History::ReadResult result = co_await reading;
    if (!result.window) {
        Log::stats()->error("GetHistory {}: {}", name, result.error);
        co_return call.createErrorReply(
            Error::Failed, QStringLiteral("The history of %1 cannot be read (%2).").arg(name, result.error));
    }
    const History::Reply reply = History::toReply(*result.window);
    QDBusMessage message = call.createReply();
    message << reply.stepNs << QVariant::fromValue(reply.timesNs) << QVariant::fromValue(reply.series);
    co_return message;
}

} // namespace Hamlet
