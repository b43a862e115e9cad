#pragma once

#include "authorizer.h"

#include <QDBusConnection>
#include <QDBusContext>
#include <QDBusMessage>
#include <QString>

#include <QCoro/QCoroTask>
#include <functional>
#include <optional>

namespace Hamlet {

// The one way a D-Bus method of the helper does work: the reply is delayed, polkit is asked with
// the caller's bus name as subject, and only an allowed caller that is still on the bus gets its
// work done. A denied caller gets dev.hamlet.Error.NotAuthorized and nothing runs; a caller that
// left while polkit was deciding is dropped without any work. polkit may prompt only when the
// message allows interactive authorization.
class CallGate
{
public:
    // Produces the reply (or an error reply) to the call; runs only once authorized.
    using Work = std::function<QCoro::Task<QDBusMessage>(const QDBusMessage &call)>;

    struct Action {
        QString polkitAction; // e.g. "dev.hamlet.monitor"
        QString verb; // method name, passed to polkit as detail "verb"
        QString instance = {}; // instance name, passed as detail "name" when set
        // The instance's owner: a caller of another uid (root aside) also needs
        // dev.hamlet.manage-others, asked after the verb's own action (detail "owner": the uid).
        std::optional<uint> owner = {};
    };

    CallGate(QDBusConnection bus, Authorizer &authorizer);

    // Call from inside an adaptor slot of an object that inherits QDBusContext.
    void serve(const QDBusContext &context, Action action, Work work);
    // For messages handled by hand (QDBusVirtualObject): the reply is always sent by the gate.
    void serve(const QDBusMessage &call, Action action, Work work);

    Authorizer &authorizer() const { return m_authorizer; }

    // Convenience for work that answers at once.
    static Work immediate(std::function<QDBusMessage(const QDBusMessage &call)> answer);

    // Calls being authorized or served now; onActivity runs when one starts and when one ends.
    int callsInFlight() const { return m_inFlight; }
    void setOnActivity(std::function<void()> onActivity) { m_onActivity = std::move(onActivity); }

private:
    struct InFlight;
    QCoro::Task<> run(QDBusMessage call, Action action, Work work);
    QCoro::Task<bool> callerStillConnected(const QString &caller);

    QDBusConnection m_bus;
    Authorizer &m_authorizer;
    int m_inFlight = 0;
    std::function<void()> m_onActivity;
};

} // namespace Hamlet
