#pragma once

#include <QDBusConnection>
#include <QDBusServiceWatcher>
#include <QHash>
#include <QObject>
#include <QString>

namespace Hamlet {

// Who wants Samples, and how often. A subscriber that leaves the bus is dropped at once.
// Emits changed() so the sampler can start, stop or change its tick.
class Subscriptions : public QObject
{
    Q_OBJECT
public:
    static constexpr uint MinIntervalMs = 100;
    static constexpr uint MaxIntervalMs = 60000;

    explicit Subscriptions(QDBusConnection bus, QObject *parent = nullptr);

    void add(const QString &busName, uint intervalMs);
    void remove(const QString &busName);

    bool isEmpty() const { return m_intervals.isEmpty(); }
    QStringList subscribers() const { return m_intervals.keys(); }
    // The fastest interval anyone asked for; 0 when nobody is subscribed.
    uint intervalMs() const;

Q_SIGNALS:
    void changed();

private:
    QDBusServiceWatcher m_watcher;
    QHash<QString, uint> m_intervals;
};

} // namespace Hamlet
