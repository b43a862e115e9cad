#include "helperclient.h"

#include "dbusnames.h"
#include "errors.h"
#include "manager1proxy.h"

#include <QCoro/QCoroDBus>

namespace Hamlet {

namespace {
// Creating a container may need an image unpacked and polkit may wait for a password.
constexpr int CallTimeoutMs = 5 * 60 * 1000;

QString hintFor(const QString &name)
{
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
    QString message = error.message();
    if (message.isEmpty())
        message = QStringLiteral("The call failed (%1).").arg(error.name());
    return {error.name(), message, hintFor(error.name())};
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
