#pragma once

#include <QObject>
#include <QTimer>

#include <chrono>
#include <functional>

namespace Hamlet {

// Ends an activatable helper that has had nothing to do for a while, as systemd's small bus
// services do: D-Bus activation starts it again on the next call. "Nothing to do" is decided by
// the caller's check; the timer runs only while that check says idle (no periodic wake-ups), and
// is restarted by every poke: a call, an instance or subscriber change.
class IdleExit : public QObject
{
    Q_OBJECT
public:
    enum class Busy {
        No,
        UntilAChange, // instances run or someone subscribes: a poke comes when that changes
        ForAWhile, // work without a change signal (a job): look again after the delay
    };

    IdleExit(std::chrono::milliseconds after, std::function<Busy()> busy, QObject *parent = nullptr);

    // Something happened: start the countdown again if idle, or stop it while busy.
    void poke();
    bool countingDown() const { return m_timer.isActive(); }

Q_SIGNALS:
    // Idle for the whole delay: time to exit.
    void idle();

private:
    void onTimeout();

    std::function<Busy()> m_busy;
    QTimer m_timer;
};

} // namespace Hamlet
