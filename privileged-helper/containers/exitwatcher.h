#pragma once

#include "fsutil.h"

#include <QObject>

class QSocketNotifier;

namespace Hamlet::Containers {

// Tells when a process exits, through a pidfd (no polling by pid, no pid reuse race), and with
// its exit status when the process is our child: the helper is a child subreaper
// (becomeSubreaper), so a container's init, orphaned when `runc create` exits, becomes its
// child. After a helper restart the init is no longer its child: exit is still seen, the status
// is then unknown (-1).
class ExitWatcher : public QObject
{
    Q_OBJECT
public:
    // Fails (nullptr) when the process is already gone.
    static ExitWatcher *watch(qint64 pid, QObject *parent);
    ~ExitWatcher() override;

    qint64 pid() const { return m_pid; }

    // PR_SET_CHILD_SUBREAPER for this process; true on success.
    static bool becomeSubreaper();

Q_SIGNALS:
    // exitCode: the status, 128+N when killed by signal N, or -1 when unknown. Emitted once.
    void exited(int exitCode);

private:
    ExitWatcher(qint64 pid, UniqueFd pidfd, QObject *parent);
    void onReadable();

    qint64 m_pid;
    UniqueFd m_pidfd;
    QSocketNotifier *m_notifier;
};

} // namespace Hamlet::Containers
