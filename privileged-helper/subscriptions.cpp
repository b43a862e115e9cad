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

void Subscriptions::add(const QString &busName, uint intervalMs)
{
    if (!m_intervals.contains(busName))
        m_watcher.addWatchedService(busName);
    m_intervals.insert(busName, std::clamp(intervalMs, MinIntervalMs, MaxIntervalMs));
    Q_EMIT changed();
}

void Subscriptions::remove(const QString &busName)
{
    if (m_intervals.remove(busName) == 0)
        return;
    m_watcher.removeWatchedService(busName);
    Q_EMIT changed();
}

uint Subscriptions::intervalMs() const
{
    if (m_intervals.isEmpty())
        return 0;
    return *std::min_element(m_intervals.cbegin(), m_intervals.cend());
}

} // namespace Hamlet
