#include "authorizer.h"

#include "logging.h"

#include <QDBusArgument>
#include <QDBusMessage>
#include <QDBusMetaType>
#include <QDBusPendingCall>
#include <QDBusPendingReply>
#include <QVariantMap>

#include <QCoro/QCoroDBus>

namespace {

// polkit's (sa{sv}) subject and (bba{ss}) result.
struct PolkitSubject {
    QString kind;
    QVariantMap details;
};

struct PolkitResult {
    bool isAuthorized = false;
    bool isChallenge = false;
    QMap<QString, QString> details;
};

} // namespace

Q_DECLARE_METATYPE(PolkitSubject)
Q_DECLARE_METATYPE(PolkitResult)

namespace {

QDBusArgument &operator<<(QDBusArgument &argument, const PolkitSubject &subject)
{
    argument.beginStructure();
    argument << subject.kind << subject.details;
    argument.endStructure();
    return argument;
}

const QDBusArgument &operator>>(const QDBusArgument &argument, PolkitSubject &subject)
{
    argument.beginStructure();
    argument >> subject.kind >> subject.details;
    argument.endStructure();
    return argument;
}

QDBusArgument &operator<<(QDBusArgument &argument, const PolkitResult &result)
{
    argument.beginStructure();
    argument << result.isAuthorized << result.isChallenge << result.details;
    argument.endStructure();
    return argument;
}

const QDBusArgument &operator>>(const QDBusArgument &argument, PolkitResult &result)
{
    argument.beginStructure();
    argument >> result.isAuthorized >> result.isChallenge >> result.details;
    argument.endStructure();
    return argument;
}

constexpr uint AllowUserInteractionFlag = 0x1;
// Long enough for a person to type a password into the authentication agent.
constexpr int PolkitTimeoutMs = 5 * 60 * 1000;

} // namespace

namespace Hamlet {

Authorizer::Authorizer(QDBusConnection bus)
    : m_bus(std::move(bus))
{
    qDBusRegisterMetaType<PolkitSubject>();
    qDBusRegisterMetaType<PolkitResult>();
    qDBusRegisterMetaType<QMap<QString, QString>>();
}

QCoro::Task<Authorizer::Decision> Authorizer::check(QString callerBusName, QString actionId,
                                                    QMap<QString, QString> details, Interaction interaction)
{
    const uint flags = interaction == AllowInteraction ? AllowUserInteractionFlag : 0;
    const PolkitSubject subject {QStringLiteral("system-bus-name"), {{QStringLiteral("name"), callerBusName}}};
    QDBusMessage call = QDBusMessage::createMethodCall(
        QStringLiteral("org.freedesktop.PolicyKit1"), QStringLiteral("/org/freedesktop/PolicyKit1/Authority"),
        QStringLiteral("org.freedesktop.PolicyKit1.Authority"), QStringLiteral("CheckAuthorization"));
    call << QVariant::fromValue(subject) << actionId << QVariant::fromValue(details) << flags << QString();

    const QDBusPendingReply<PolkitResult> reply = co_await m_bus.asyncCall(call, PolkitTimeoutMs);
    if (reply.isError()) {
        Log::helper()->warn("polkit could not decide {} for {}: {}: {}", actionId, callerBusName, reply.error().name(),
                            reply.error().message());
        co_return Decision {
            false, QStringLiteral("polkit could not be asked (%1); is polkitd running?").arg(reply.error().message())};
    }
    const PolkitResult result = reply.value();
    if (result.isAuthorized)
        co_return Decision {true, {}};
    Log::helper()->info("polkit denied {} to {}{}", actionId, callerBusName,
                        result.isChallenge ? " (authentication was possible but not given)" : "");
    co_return Decision {false,
                        result.isChallenge
                            ? QStringLiteral("Authentication is required for %1 and was not given.").arg(actionId)
                            : QStringLiteral("polkit does not allow %1 for this user.").arg(actionId)};
}

} // namespace Hamlet
