#pragma once

#include "viewer.h"

#include <QDBusConnection>
#include <QDBusServiceWatcher>
#include <QHash>
#include <QObject>
#include <QString>

namespace Hamlet {

// Who watches the helper: each subscriber gets the instance signals (InstanceAdded/Removed,
// PropertiesChanged, targeted and filtered for what it may see) and, unless it asked for
// interval 0, Samples every intervalMs. A subscriber that leaves the bus is dropped at once.
// Emits changed() so the sampler can start, stop or change its tick.
class Subscriptions : public QObject
{
    Q_OBJECT
public:
    static constexpr uint MinIntervalMs = 100;
    static constexpr uint MaxIntervalMs = 60000;

    explicit Subscriptions(QDBusConnection bus, QObject *parent = nullptr);

    // intervalMs 0: instance signals only, no Samples.
    void add(const Viewer &viewer, uint intervalMs);
    void remove(const QString &busName);

    bool isEmpty() const { return m_subscribers.isEmpty(); }
    // Everyone subscribed (instance signals go to them).
    QList<Viewer> viewers() const;
    // Those who asked for Samples.
    QStringList subscribers() const;
    // What one subscriber asked for (0: no Samples, or not subscribed).
    uint intervalMsOf(const QString &busName) const { return m_subscribers.value(busName).intervalMs; }
    // The fastest interval anyone asked for; 0 when nobody wants Samples.
    uint intervalMs() const;

Q_SIGNALS:
    void changed();

private:
    struct Subscriber {
        Viewer viewer;
        uint intervalMs = 0;
    };
    QDBusServiceWatcher m_watcher;
    QHash<QString, Subscriber> m_subscribers;
};

} // namespace Hamlet
