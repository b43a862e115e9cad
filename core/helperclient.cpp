#include "helperclient.h"

#include "dbusnames.h"
#include "errors.h"
#include "flatpaksandbox.h"
#include "job1proxy.h"
#include "manager1proxy.h"

#include <QDBusMetaType>
#include <QDBusServiceWatcher>
#include <QDBusUnixFileDescriptor>
#include <QTimer>

#include <QCoro/QCoroDBus>
#include <QCoro/QCoroSignal>
#include <unistd.h>

namespace Hamlet {

namespace {
// Creating a container may need an image unpacked and polkit may wait for a password.
constexpr int CallTimeoutMs = 5 * 60 * 1000;
// Named, because GCC 12 destroys a braced temporary inside a co_await expression twice.
const QVariantList NoArguments;

QString hintFor(const QString &name)
{
    // Inside a Flatpak the sandbox, not the host, is often why the helper cannot be reached.
    static const FlatpakSandbox sandbox = FlatpakSandbox::read();
    if (QString hint = sandbox.hintFor(name); !hint.isEmpty())
        return hint;
    if (name == Error::NotAuthorized)
        return QStringLiteral("Ask an administrator to allow you the Hamlet actions in polkit "
                              "(dev.hamlet.*), or sign in on a local session.");
    if (name == QLatin1String("org.freedesktop.DBus.Error.ServiceUnknown")
        || name == QLatin1String("org.freedesktop.DBus.Error.NameHasNoOwner")
        || name == QLatin1String("org.freedesktop.DBus.Error.Spawn.ServiceNotFound"))
        return QStringLiteral("The Hamlet helper (dev.hamlet.Helper1) is not running and could not be started: "
                              "install the hamlet-helper package, or start it with "
                              "'sudo /usr/libexec/hamlet-helper'.");
    if (name == QLatin1String("org.freedesktop.DBus.Error.NoServer")
        || name == QLatin1String("org.freedesktop.DBus.Error.Disconnected")
        || name == QLatin1String("org.freedesktop.DBus.Error.FileNotFound"))
        return QStringLiteral("The system D-Bus is not reachable: start the 'dbus' service.");
    if (name == QLatin1String("org.freedesktop.DBus.Error.NoReply")
        || name == QLatin1String("org.freedesktop.DBus.Error.Timeout"))
        return QStringLiteral("The helper did not answer in time; it may be busy or stuck. Try again.");
    if (name == QLatin1String("org.freedesktop.DBus.Error.AccessDenied"))
        return QStringLiteral("The bus policy does not allow this call: is dev.hamlet.Helper1.conf installed "
                              "in /usr/share/dbus-1/system.d?");
    return {};
}

QDBusConnection connectTo(const QString &address, QString *description)
{
    const QString effective = address.isEmpty() ? qEnvironmentVariable("HAMLET_BUS_ADDRESS") : address;
    if (effective.isEmpty() || effective == QStringLiteral("system")) {
        *description = QStringLiteral("system bus");
        return QDBusConnection::systemBus();
    }
    *description = effective;
    return QDBusConnection::connectToBus(effective, QStringLiteral("hamlet-client:%1").arg(effective));
}

ClientError notConnected(const QDBusConnection &bus)
{
    QDBusError error = bus.lastError();
    if (!error.isValid())
        error = QDBusError(QDBusError::NoServer, QStringLiteral("Not connected to the bus."));
    return ClientError::fromDBus(error);
}

template <typename T> Result<T> toResult(const QDBusPendingReply<T> &reply)
{
    if (reply.isError())
        return ClientError::fromDBus(reply.error());
    return reply.value();
}
} // namespace

ClientError ClientError::fromDBus(const QDBusError &error)
{
    return fromName(error.name(), error.message());
}

ClientError ClientError::fromName(const QString &name, const QString &message)
{
    return {name, message.isEmpty() ? QStringLiteral("The call failed (%1).").arg(name) : message, hintFor(name)};
}

QString ClientError::text() const
{
    return hint.isEmpty() ? message : message + QLatin1Char('\n') + hint;
}

HelperClient::HelperClient(const QString &busAddress, QObject *parent)
    : QObject(parent)
    , m_bus(connectTo(busAddress, &m_busDescription))
{
    registerDBusTypes();
    m_manager = std::make_unique<Manager1Proxy>(Bus::ServiceName, Bus::ManagerPath, m_bus);
    m_manager->setTimeout(CallTimeoutMs);
    // The manager's signals are matched on the connection itself: relaying them through the
    // generated proxy adds no match rule with Qt 6.4 (seen with dbus-monitor), so none arrive.
    for (const char *member : {"InstanceAdded", "InstanceRemoved", "Samples", "ImagesChanged"})
        m_bus.connect(Bus::ServiceName, Bus::ManagerPath, Bus::ManagerInterface, QString::fromLatin1(member), this,
                      SLOT(onManagerSignal(QDBusMessage)));
    // Instance properties: one match for the whole subtree.
    m_bus.connect(Bus::ServiceName, QString(), QStringLiteral("org.freedesktop.DBus.Properties"),
                  QStringLiteral("PropertiesChanged"), this, SLOT(onPropertiesChanged(QDBusMessage)));
    m_bus.connect(Bus::ServiceName, QString(), Bus::InstanceInterface, QStringLiteral("ExecExited"), this,
                  SLOT(onExecExited(QDBusMessage)));
}

void HelperClient::onExecExited(const QDBusMessage &message)
{
    const QString name = Bus::instanceNameFromPath(message.path());
    if (!name.isEmpty())
        Q_EMIT execExited(name, message.arguments().value(0).toUInt(), message.arguments().value(1).toInt());
}

void HelperClient::onPropertiesChanged(const QDBusMessage &message)
{
    const QString interface = message.arguments().value(0).toString();
    const auto changed = qdbus_cast<QVariantMap>(message.arguments().value(1));
    if (interface == Bus::JobInterface) {
        Q_EMIT jobChanged(message.path(), changed);
        return;
    }
    const QString name = Bus::instanceNameFromPath(message.path());
    if (name.isEmpty() || interface != Bus::InstanceInterface)
        return;
    Q_EMIT instanceChanged(name, changed);
}

void HelperClient::onManagerSignal(const QDBusMessage &message)
{
    const QVariantList arguments = message.arguments();
    if (message.member() == QLatin1String("InstanceAdded"))
        Q_EMIT instanceAdded(arguments.value(0).toString(), arguments.value(1).toString());
    else if (message.member() == QLatin1String("InstanceRemoved"))
        Q_EMIT instanceRemoved(arguments.value(0).toString());
    else if (message.member() == QLatin1String("ImagesChanged"))
        Q_EMIT imagesChanged();
    else if (message.member() == QLatin1String("Samples"))
        Q_EMIT samples(arguments.value(0).toULongLong(), qdbus_cast<SampleBatch>(arguments.value(1)));
}

HelperClient::~HelperClient() = default;

QString HelperClient::busDescription() const
{
    return m_busDescription;
}

QCoro::Task<Result<Capabilities>> HelperClient::capabilities()
{
    if (!m_bus.isConnected())
        co_return notConnected(m_bus);
    const QDBusPendingReply<QVariantMap> reply = co_await m_manager->GetCapabilities();
    if (reply.isError())
        co_return ClientError::fromDBus(reply.error());
    co_return Capabilities::fromVariantMap(reply.value());
}

QCoro::Task<Result<InstanceSummaryList>> HelperClient::listInstances()
{
    if (!m_bus.isConnected())
        co_return notConnected(m_bus);
    const QDBusPendingReply<InstanceSummaryList> reply = co_await m_manager->ListInstances();
    co_return toResult(reply);
}

} // namespace Hamlet

namespace Hamlet {

QCoro::Task<Result<QDBusMessage>> HelperClient::interactiveCall(QString path, QString interface, QString member,
                                                                QVariantList arguments)
{
    QDBusMessage call = QDBusMessage::createMethodCall(Bus::ServiceName, path, interface, member);
    call.setArguments(arguments);
    // The helper lets polkit ask for a password only when the message allows it: a person is here.
    call.setInteractiveAuthorizationAllowed(true);
    const QDBusMessage reply = co_await m_bus.asyncCall(call, CallTimeoutMs);
    if (reply.type() == QDBusMessage::ErrorMessage)
        co_return ClientError::fromName(reply.errorName(), reply.errorMessage());
    co_return reply;
}

QCoro::Task<Result<QDBusMessage>> HelperClient::interactiveManagerCall(QString member, QVariantList arguments)
{
    return interactiveCall(Bus::ManagerPath, Bus::ManagerInterface, std::move(member), std::move(arguments));
}

namespace {
Result<QString> jobPathOf(const Result<QDBusMessage> &reply)
{
    if (const auto *error = std::get_if<ClientError>(&reply))
        return *error;
    return qdbus_cast<QDBusObjectPath>(std::get<QDBusMessage>(reply).arguments().value(0)).path();
}
} // namespace

QCoro::Task<Result<QString>> HelperClient::createContainer(QString name, QVariantMap spec)
{
    const QString member = QStringLiteral("CreateContainer"); // named: GCC 12 and co_await temporaries
    const QVariantList arguments {name, spec};
    const Result<QDBusMessage> reply = co_await interactiveManagerCall(member, arguments);
    co_return jobPathOf(reply);
}

QCoro::Task<Result<QString>> HelperClient::createVm(QString name, QVariantMap spec)
{
    const QString member = QStringLiteral("CreateVm");
    const QVariantList arguments {name, spec};
    const Result<QDBusMessage> reply = co_await interactiveManagerCall(member, arguments);
    co_return jobPathOf(reply);
}

QCoro::Task<Result<QString>> HelperClient::waitForJob(QString jobPath)
{
    Job1Proxy job(Bus::ServiceName, jobPath, m_bus);
    struct Outcome {
        bool ok = false;
        QString errorName, message, result;
    };
    std::optional<Outcome> outcome;
    // One thing to wait for, woken by the completion or by the helper leaving the bus: a job dies
    // with the helper that ran it, and nobody should wait minutes for its signal.
    QTimer wake;
    wake.setSingleShot(true);
    bool helperGone = false;
    QDBusServiceWatcher watcher(Bus::ServiceName, m_bus, QDBusServiceWatcher::WatchForOwnerChange);
    QObject::connect(&watcher, &QDBusServiceWatcher::serviceOwnerChanged, &wake,
                     [&helperGone, &wake](const QString &, const QString &oldOwner, const QString &) {
                         if (!oldOwner.isEmpty()) {
                             helperGone = true;
                             wake.start(0);
                         }
                     });
    // Listen first, then read Done: whichever way the completion comes, it is seen.
    QObject::connect(
        &job, &Job1Proxy::Completed, &job,
        [&outcome, &wake](bool ok, const QString &errorName, const QString &message, const QDBusObjectPath &result) {
            outcome = Outcome {ok, errorName, message, result.path()};
            wake.start(0);
        });
    QDBusMessage getAll = QDBusMessage::createMethodCall(
        Bus::ServiceName, jobPath, QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("GetAll"));
    getAll << Bus::JobInterface;
    const QDBusPendingReply<QVariantMap> properties = co_await m_bus.asyncCall(getAll, CallTimeoutMs);
    if (properties.isError() && !outcome)
        co_return ClientError::fromDBus(properties.error());
    if (!outcome && properties.value().value(QStringLiteral("Done")).toBool()) {
        const QVariantMap values = properties.value();
        outcome = Outcome {values.value(QStringLiteral("Succeeded")).toBool(),
                           values.value(QStringLiteral("ErrorName")).toString(),
                           values.value(QStringLiteral("ErrorMessage")).toString(),
                           qdbus_cast<QDBusObjectPath>(values.value(QStringLiteral("Result"))).path()};
    }
    while (!outcome && !helperGone) {
        const auto woken = co_await qCoro(&wake, &QTimer::timeout, std::chrono::milliseconds(CallTimeoutMs));
        if (!woken && !outcome && !helperGone)
            co_return ClientError {
                Error::Failed, QStringLiteral("The job %1 did not finish in time.").arg(jobPath), {}};
    }
    if (!outcome)
        co_return ClientError {Error::Failed,
                               QStringLiteral("The helper stopped before the job %1 finished (see its log); what "
                                              "the job had made is cleaned up when the helper starts again.")
                                   .arg(jobPath),
                               {}};
    if (!outcome->ok)
        co_return ClientError::fromName(outcome->errorName, outcome->message);
    co_return outcome->result;
}

QCoro::Task<Result<QDBusMessage>> HelperClient::callInstance(QString name, QString verb, QVariantList arguments)
{
    return interactiveCall(Bus::instancePath(name), Bus::InstanceInterface, std::move(verb), std::move(arguments));
}

QCoro::Task<Result<bool>> HelperClient::instanceCall(QString name, QString verb)
{
    const auto reply = co_await callInstance(name, verb, NoArguments);
    if (const auto *error = std::get_if<ClientError>(&reply))
        co_return *error;
    co_return true;
}

QCoro::Task<Result<bool>> HelperClient::stop(QString name, bool force)
{
    const QString verbStop = QStringLiteral("Stop"); // not inline: GCC 12 miscompiles literals in co_await
    const QVariantList arguments {force}; // not inline: GCC 12 miscompiles some temporaries in co_await
    const auto reply = co_await callInstance(name, verbStop, arguments);
    if (const auto *error = std::get_if<ClientError>(&reply))
        co_return *error;
    co_return true;
}

QCoro::Task<Result<QString>> HelperClient::setLimits(QString name, QVariantMap limits)
{
    const QString verbSetLimits = QStringLiteral("SetLimits");
    const QVariantList arguments {limits};
    const auto reply = co_await callInstance(name, verbSetLimits, arguments);
    if (const auto *error = std::get_if<ClientError>(&reply))
        co_return *error;
    co_return std::get<QDBusMessage>(reply).arguments().value(0).toString();
}

QCoro::Task<Result<bool>> HelperClient::setPorts(QString name, VariantMapList ports)
{
    const QString verbSetPorts = QStringLiteral("SetPorts");
    const QVariantList arguments {QVariant::fromValue(ports)};
    const auto reply = co_await callInstance(name, verbSetPorts, arguments);
    if (const auto *error = std::get_if<ClientError>(&reply))
        co_return *error;
    co_return true;
}

QCoro::Task<Result<QVariantMap>> HelperClient::inspect(QString name)
{
    const QString verbInspect = QStringLiteral("Inspect");
    const auto reply = co_await callInstance(name, verbInspect, NoArguments);
    if (const auto *error = std::get_if<ClientError>(&reply))
        co_return *error;
    co_return plainDBusValue(std::get<QDBusMessage>(reply).arguments().value(0)).toMap();
}

QCoro::Task<Result<QVariantMap>> HelperClient::instanceProperties(QString name)
{
    QDBusMessage call
        = QDBusMessage::createMethodCall(Bus::ServiceName, Bus::instancePath(name),
                                         QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("GetAll"));
    call << Bus::InstanceInterface;
    const QDBusPendingReply<QVariantMap> reply = co_await m_bus.asyncCall(call, CallTimeoutMs);
    if (reply.isError())
        co_return ClientError::fromDBus(reply.error());
    co_return plainDBusValue(reply.value()).toMap();
}

QCoro::Task<Result<int>> HelperClient::openFd(QString name, QString verb)
{
    const auto reply = co_await callInstance(name, verb, NoArguments);
    if (const auto *error = std::get_if<ClientError>(&reply))
        co_return *error;
    const auto descriptor = qdbus_cast<QDBusUnixFileDescriptor>(std::get<QDBusMessage>(reply).arguments().value(0));
    co_return ::dup(descriptor.fileDescriptor());
}

QCoro::Task<Result<ExecSession>> HelperClient::exec(QString name, QStringList argv, QVariantMap options)
{
    const QString verbExec = QStringLiteral("Exec");
    const QVariantList arguments {argv, options};
    const auto reply = co_await callInstance(name, verbExec, arguments);
    if (const auto *error = std::get_if<ClientError>(&reply))
        co_return *error;
    const QList<QVariant> values = std::get<QDBusMessage>(reply).arguments();
    const auto descriptor = qdbus_cast<QDBusUnixFileDescriptor>(values.value(0));
    co_return ExecSession {::dup(descriptor.fileDescriptor()), values.value(1).toUInt()};
}

QCoro::Task<Result<VariantMapList>> HelperClient::listImages()
{
    if (!m_bus.isConnected())
        co_return notConnected(m_bus);
    const QDBusPendingReply<VariantMapList> reply = co_await m_manager->ListImages();
    co_return toResult(reply);
}

QCoro::Task<Result<QString>> HelperClient::pullImage(QString reference, QVariantMap options)
{
    const QString member = QStringLiteral("PullImage");
    const QVariantList arguments {reference, options};
    const Result<QDBusMessage> reply = co_await interactiveManagerCall(member, arguments);
    co_return jobPathOf(reply);
}

QCoro::Task<Result<QString>> HelperClient::importImage(int archiveFd, QString format, QVariantMap options)
{
    const QDBusUnixFileDescriptor archive(archiveFd); // dups the fd; the caller keeps its own
    const QString member = QStringLiteral("ImportImage");
    const QVariantList arguments {QVariant::fromValue(archive), format, options};
    const Result<QDBusMessage> reply = co_await interactiveManagerCall(member, arguments);
    co_return jobPathOf(reply);
}

QCoro::Task<Result<bool>> HelperClient::removeImage(QString name)
{
    const QString member = QStringLiteral("RemoveImage");
    const QVariantList arguments {name};
    const auto reply = co_await interactiveManagerCall(member, arguments);
    if (const auto *error = std::get_if<ClientError>(&reply))
        co_return *error;
    co_return true;
}

QCoro::Task<Result<bool>> HelperClient::cancelJob(QString jobPath)
{
    QDBusMessage call
        = QDBusMessage::createMethodCall(Bus::ServiceName, jobPath, Bus::JobInterface, QStringLiteral("Cancel"));
    call.setInteractiveAuthorizationAllowed(true);
    const QDBusMessage reply = co_await m_bus.asyncCall(call, CallTimeoutMs);
    if (reply.type() == QDBusMessage::ErrorMessage)
        co_return ClientError::fromName(reply.errorName(), reply.errorMessage());
    co_return true;
}

QCoro::Task<Result<QVariantMap>> HelperClient::jobProperties(QString jobPath)
{
    QDBusMessage getAll = QDBusMessage::createMethodCall(
        Bus::ServiceName, jobPath, QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("GetAll"));
    getAll << Bus::JobInterface;
    const QDBusPendingReply<QVariantMap> reply = co_await m_bus.asyncCall(getAll, CallTimeoutMs);
    if (reply.isError())
        co_return ClientError::fromDBus(reply.error());
    co_return reply.value();
}

QCoro::Task<Result<HistoryData>> HelperClient::history(QString name, qlonglong fromNs, qlonglong toNs, uint maxPoints)
{
    if (!m_bus.isConnected())
        co_return notConnected(m_bus);
    const QDBusPendingReply<qlonglong, TimeList, HistorySeriesList> reply
        = co_await m_manager->GetHistory(name, fromNs, toNs, maxPoints);
    if (reply.isError())
        co_return ClientError::fromDBus(reply.error());
    co_return HistoryData {reply.argumentAt<0>(), reply.argumentAt<1>(), reply.argumentAt<2>()};
}

QCoro::Task<Result<bool>> HelperClient::subscribe(uint intervalMs)
{
    const QDBusPendingReply<> reply = co_await m_manager->Subscribe(intervalMs);
    if (reply.isError())
        co_return ClientError::fromDBus(reply.error());
    co_return true;
}

QCoro::Task<Result<bool>> HelperClient::unsubscribe()
{
    const QDBusPendingReply<> reply = co_await m_manager->Unsubscribe();
    if (reply.isError())
        co_return ClientError::fromDBus(reply.error());
    co_return true;
}

} // namespace Hamlet
