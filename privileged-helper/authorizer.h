#pragma once

#include <QDBusConnection>
#include <QMap>
#include <QString>

#include <QCoro/QCoroTask>

namespace Hamlet {

// Asks polkit whether a bus caller may perform an action. The subject is always the caller's
// unique bus name as the bus daemon reported it (never an id the caller supplied). Anything other
// than a clear "yes" from polkitd (an error, a timeout, no polkitd) is a denial.
class Authorizer
{
public:
    struct Decision {
        bool allowed = false;
        QString reason; // why not, for the log and the caller
    };

    // Whether polkit may ask the person (an authentication agent's password dialog). Only when
    // the caller's message allows it (the D-Bus ALLOW_INTERACTIVE_AUTHORIZATION flag): a script
    // that did not ask for a prompt gets a plain no instead of a dialog popping up somewhere.
    enum Interaction { NoInteraction, AllowInteraction };

    explicit Authorizer(QDBusConnection bus);

    QCoro::Task<Decision> check(QString callerBusName, QString actionId, QMap<QString, QString> details,
                                Interaction interaction);

private:
    QDBusConnection m_bus;
};

} // namespace Hamlet
