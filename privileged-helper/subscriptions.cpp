#include "subscriptions.h"

#include "logging.h"

#include <algorithm>

namespace Hamlet {

Subscriptions::Subscriptions(QDBusConnection bus, QObject *parent)
    : QObject(parent)
{
    m_watcher.setConnection(bus);
    m_watcher.setWatchMode(QDBusServiceWatcher::WatchForUnregistration);
    connect(&m_watcher, &QDBusServiceWatcher::serviceUnregistered, this, [this](const QString &name) {
        Log::stats()->debug("subscriber {} left the bus", name);
        remove(name);
    });
}

void Subscriptions::add(const Viewer &viewer, uint intervalMs)
{
    if (!m_subscribers.contains(viewer.busName))
        m_watcher.addWatchedService(viewer.busName);
    m_subscribers.insert(viewer.busName,
                         {viewer, intervalMs == 0 ? 0 : std::clamp(intervalMs, MinIntervalMs, MaxIntervalMs)});
    Q_EMIT changed();
}

void Subscriptions::remove(const QString &busName)
{
    if (m_subscribers.remove(busName) == 0)
        return;
    m_watcher.removeWatchedService(busName);
    Q_EMIT changed();
}

QList<Viewer> Subscriptions::viewers() const
{
    QList<Viewer> viewers;
    for (const Subscriber &subscriber : m_subscribers)
        viewers << subscriber.viewer;
    return viewers;
}

QStringList Subscriptions::subscribers() const
{
    QStringList names;
    for (const Subscriber &subscriber : m_subscribers)
        if (subscriber.intervalMs > 0)
            names << subscriber.viewer.busName;
    return names;
}

uint Subscriptions::intervalMs() const
{
    uint fastest = 0;
    for (const Subscriber &subscriber : m_subscribers)
        if (subscriber.intervalMs > 0 && (fastest == 0 || subscriber.intervalMs < fastest))
            fastest = subscriber.intervalMs;
    return fastest;
}

} // namespace Hamlet
