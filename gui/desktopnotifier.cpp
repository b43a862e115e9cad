#include "desktopnotifier.h"

#include "logging.h"

#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>

namespace Hamlet {

DesktopNotifier::DesktopNotifier(QObject *parent)
    : QObject(parent)
{ }

void DesktopNotifier::notify(const QString &summary, const QString &body)
{
    m_lastMessage = summary + QStringLiteral(": ") + body;
    Q_EMIT notified(summary, body);
    QDBusConnection session = QDBusConnection::sessionBus();
    if (!session.isConnected()) {
        Log::gui()->info("notification (no session bus): {}", m_lastMessage.toStdString());
        return;
    }
    QDBusMessage call = QDBusMessage::createMethodCall(
        QStringLiteral("org.freedesktop.Notifications"), QStringLiteral("/org/freedesktop/Notifications"),
        QStringLiteral("org.freedesktop.Notifications"), QStringLiteral("Notify"));
    const QVariantMap hints {{QStringLiteral("desktop-entry"), QStringLiteral("dev.hamlet.Hamlet")},
                             {QStringLiteral("urgency"), QVariant::fromValue(uchar(1))}};
    call << QStringLiteral("Hamlet") << uint(0) << QStringLiteral("dev.hamlet.Hamlet") << summary << body
         << QStringList() << hints << int(-1);
    auto *watcher = new QDBusPendingCallWatcher(session.asyncCall(call), this);
    const std::string text = m_lastMessage.toStdString();
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [watcher, text] {
        watcher->deleteLater();
        if (watcher->isError())
            Log::gui()->info("notification not shown ({}): {}", watcher->error().name().toStdString(), text);
    });
}

} // namespace Hamlet
