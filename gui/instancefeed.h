#pragma once

#include "helperclient.h"

#include <QObject>
#include <QSet>

#include <optional>

class QDBusServiceWatcher;

namespace Hamlet {

class InstanceListModel;

// Keeps an InstanceListModel in step with the helper: on refresh a 1 s Samples subscription (which
// also brings InstanceAdded/Removed and PropertiesChanged: the helper sends them to subscribers
// only), then ListInstances. It notices the helper
// leaving and coming back on the bus, and tells an expected stop (one the user asked for) from an
// instance stopping or failing on its own.
class InstanceFeed : public QObject
{
    Q_OBJECT
public:
    static constexpr uint SampleIntervalMs = 1000;

    InstanceFeed(HelperClient *client, InstanceListModel *model, QObject *parent = nullptr);

    bool isConnected() const { return m_connected; }
    bool isSubscribed() const { return m_subscribed; }
    // The user asked this instance to stop (Stop, Restart, Delete): its next stop is no surprise.
    void expectStop(const QString &name) { m_expectedStops.insert(name); }
    void cancelExpectedStop(const QString &name) { m_expectedStops.remove(name); }

public Q_SLOTS:
    void refresh();

Q_SIGNALS:
    // After each refresh: the error when the helper did not answer.
    void refreshed();
    void failed(const Hamlet::ClientError &error);
    // The helper left the bus (stopped or crashed), or came back.
    void helperLost();
    void helperReturned();
    // An instance stopped or failed without being asked to; detail says how, for a person.
    void stoppedUnexpectedly(const QString &name, const QString &state, const QString &detail);

private:
    void list(std::optional<ClientError> subscribeError);
    void fetchProperties(const QString &name);
    void onStateChanged(const QString &name, const QString &from, const QString &to);

    HelperClient *m_client;
    InstanceListModel *m_model;
    QDBusServiceWatcher *m_watcher;
    QSet<QString> m_expectedStops;
    bool m_connected = false;
    bool m_subscribed = false;
    bool m_refreshing = false;
};

} // namespace Hamlet
