#pragma once

#include <QHash>
#include <QObject>
#include <QTimer>

#include <chrono>
#include <functional>

namespace Hamlet::Containers {

// The other side of being a child subreaper: every process orphaned below the helper becomes its
// child, not only container inits (a daemonizing qemu of embedded libvirt, a runtime's stray
// helper), and someone must reap them or they stay zombies. Qt reaps its own QProcess children at
// once and ExitWatcher reaps the container inits it watches; this reaps a child that has been a
// zombie, unclaimed, for a whole interval, so it never races either of them. It sleeps until
// SIGCHLD says a child changed state, and then looks again every interval only while a zombie it
// has seen is still there: with no child exiting, it never wakes the helper.
class OrphanReaper : public QObject
{
    Q_OBJECT
public:
    // isClaimed(pid): true for children someone else reaps (watched container inits).
    OrphanReaper(std::function<bool(qint64)> isClaimed, std::chrono::milliseconds interval, QObject *parent = nullptr);

    // Starts listening for SIGCHLD (and makes one pass for zombies already there).
    void start();
    // True while a pass is scheduled: zombies were seen, or a child changed state.
    bool passScheduled() const { return m_timer.isActive(); }
    // One pass: returns the pids reaped.
    QList<qint64> reapStaleZombies();

    // This process's children that are zombies now.
    static QList<qint64> zombieChildren();

private:
    void schedulePass();

    std::function<bool(qint64)> m_isClaimed;
    QTimer m_timer;
    QHash<qint64, int> m_seen; // zombie pid -> passes it has been seen in
};

} // namespace Hamlet::Containers
