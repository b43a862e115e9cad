#include "callgate.h"

#include "errors.h"
#include "logging.h"
#include "viewer.h"

#include <QDBusPendingReply>

#include <QCoro/QCoroDBus>

namespace Hamlet {

CallGate::CallGate(QDBusConnection bus, Authorizer &authorizer)
    : m_bus(std::move(bus))
    , m_authorizer(authorizer)
{ }

void CallGate::serve(const QDBusContext &context, Action action, Work work)
{
    context.setDelayedReply(true);
    serve(context.message(), std::move(action), std::move(work));
}

void CallGate::serve(const QDBusMessage &call, Action action, Work work)
{
    run(call, std::move(action), std::move(work)); // runs on; frees itself when done
}

CallGate::Work CallGate::immediate(std::function<QDBusMessage(const QDBusMessage &)> answer)
{
    return
        [answer = std::move(answer)](const QDBusMessage &call) -> QCoro::Task<QDBusMessage> { co_return answer(call); };
}

// Counts a call from its arrival to its reply, whichever way it ends.
struct CallGate::InFlight {
    explicit InFlight(CallGate &gate)
        : gate(gate)
    {
        ++gate.m_inFlight;
        if (gate.m_onActivity)
            gate.m_onActivity();
    }
    ~InFlight()
    {
        --gate.m_inFlight;
        if (gate.m_onActivity)
            gate.m_onActivity();
    }
    CallGate &gate;
};

QCoro::Task<> CallGate::run(QDBusMessage call, Action action, Work work)
{
    const InFlight counting(*this);
    const QString caller = call.service();
    QMap<QString, QString> details {{QStringLiteral("verb"), action.verb}};
    if (!action.instance.isEmpty())
        details.insert(QStringLiteral("name"), action.instance);

    const Authorizer::Interaction interaction
        = call.isInteractiveAuthorizationAllowed() ? Authorizer::AllowInteraction : Authorizer::NoInteraction;
    const Authorizer::Decision decision
        = co_await m_authorizer.check(caller, action.polkitAction, details, interaction);
    if (!decision.allowed) {
        m_bus.send(call.createErrorReply(Error::NotAuthorized,
                                         QStringLiteral("Not authorized to %1: %2").arg(action.verb, decision.reason)));
        co_return;
    }
    if (action.owner) {
        const uint uid = co_await connectionUid(m_bus, caller);
        if (!actsAsOwner(uid, *action.owner)) {
            details.insert(QStringLiteral("owner"), QString::number(*action.owner));
            const Authorizer::Decision other
                = co_await m_authorizer.check(caller, ManageOthersAction, details, interaction);
            if (!other.allowed) {
                m_bus.send(call.createErrorReply(
                    Error::NotAuthorized,
                    QStringLiteral("Not authorized to %1 %2: it belongs to %3, and acting on another user's "
                                   "instance needs an administrator (%4). %5")
                        .arg(action.verb, action.instance, describeUid(*action.owner), ManageOthersAction,
                             other.reason)));
                co_return;
            }
        }
    }
    if (!co_await callerStillConnected(caller)) {
        Log::helper()->info("{} left the bus before {} was authorized; nothing done", caller, action.verb);
        co_return;
    }
    Log::helper()->debug("{} {}{}", caller, action.verb,
                         action.instance.isEmpty() ? QString() : QStringLiteral(" ") + action.instance);
    const QDBusMessage reply = co_await work(call);
    m_bus.send(reply);
}

QCoro::Task<bool> CallGate::callerStillConnected(const QString &caller)
{
    const QDBusMessage query = QDBusMessage::createMethodCall(
                                   QStringLiteral("org.freedesktop.DBus"), QStringLiteral("/org/freedesktop/DBus"),
                                   QStringLiteral("org.freedesktop.DBus"), QStringLiteral("NameHasOwner"))
        << caller;
    const QDBusPendingReply<bool> reply = co_await m_bus.asyncCall(query);
    co_return !reply.isError() && reply.value();
}

} // namespace Hamlet
