#pragma once

#include "instanceregistry.h"
#include "subscriptions.h"

#include <QDBusConnection>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <QCoro/QCoroTask>

namespace Hamlet {

// One tick per interval, only while someone is subscribed: asks every backend for the cumulative
// counters of its running instances and sends one batched Samples signal to each subscriber
// (targeted, never broadcast).
class Sampler : public QObject
{
    Q_OBJECT
public:
    Sampler(QDBusConnection bus, Subscriptions &subscriptions, InstanceRegistry &registry, QObject *parent = nullptr);

    bool isRunning() const { return m_timer.isActive(); }
    qulonglong ticks() const { return m_ticks; }
    // CPU time the helper spent in the last tick, for the benchmarks.
    qint64 lastTickCpuNs() const { return m_lastTickCpuNs; }

    // One tick now (also used by the timer); a tick still gathering makes the next one skip.
    QCoro::Task<> tick();

private:
    void reschedule();

    QDBusConnection m_bus;
    Subscriptions &m_subscriptions;
    InstanceRegistry &m_registry;
    QTimer m_timer;
    qulonglong m_ticks = 0;
    bool m_gathering = false;
    qint64 m_lastTickCpuNs = 0;
};

} // namespace Hamlet
