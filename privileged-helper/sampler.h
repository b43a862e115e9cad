#pragma once

#include "historyrecorder.h"
#include "instanceregistry.h"
#include "subscriptions.h"

#include <QDBusConnection>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <QCoro/QCoroTask>

namespace Hamlet {

// One tick per interval while an instance runs (for the history, every second) or someone asked
// for Samples (at the fastest interval asked); no timer at all otherwise. Each tick asks every
// backend for the cumulative counters of its running instances, hands them to the history
// recorder, and sends one batched Samples signal to each subscriber whose interval is due
// (targeted, never broadcast).
class Sampler : public QObject
{
    Q_OBJECT
public:
    static constexpr uint HistoryIntervalMs = 1000;

    // history may be null (no recording).
    Sampler(QDBusConnection bus, Subscriptions &subscriptions, InstanceRegistry &registry,
            History::Recorder *history = nullptr, QObject *parent = nullptr);

    bool isRunning() const { return m_timer.isActive(); }
    qulonglong ticks() const { return m_ticks; }
    // CPU time the helper spent in the last tick, for the benchmarks.
    qint64 lastTickCpuNs() const { return m_lastTickCpuNs; }

    // One tick now (also used by the timer); a tick still gathering makes the next one skip.
    QCoro::Task<> tick();

private:
    void reschedule();
    bool anyRunning() const;

    QDBusConnection m_bus;
    Subscriptions &m_subscriptions;
    InstanceRegistry &m_registry;
    History::Recorder *m_history;
    QTimer m_timer;
    QHash<QString, qulonglong> m_lastSentNs; // per subscriber, so each gets its own interval
    qulonglong m_ticks = 0;
    bool m_gathering = false;
    qint64 m_lastTickCpuNs = 0;
};

} // namespace Hamlet
