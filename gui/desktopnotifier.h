#pragma once

#include <QObject>
#include <QString>

namespace Hamlet {

// Desktop notifications through org.freedesktop.Notifications on the session bus, sent without
// waiting. Where no notification server runs (a bare X server, a test), the message goes to the
// log instead and lastMessage() still tells what would have been shown.
class DesktopNotifier : public QObject
{
    Q_OBJECT
public:
    explicit DesktopNotifier(QObject *parent = nullptr);

    void notify(const QString &summary, const QString &body);
    QString lastMessage() const { return m_lastMessage; }

Q_SIGNALS:
    void notified(const QString &summary, const QString &body);

private:
    QString m_lastMessage;
};

} // namespace Hamlet
