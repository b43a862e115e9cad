#pragma once

#include "fsutil.h"

#include <QObject>

class QSocketNotifier;

namespace Hamlet::Containers {

// SIGCHLD as a Qt signal, so that a process which must reap orphans can sleep until a child
// really changes state instead of polling /proc. The handler only writes a byte to a self-pipe
// (async-signal-safe) and then calls the handler that was installed before it (Qt's own, should
// QProcess use one), so nobody else loses the signal.
class ChildSignal : public QObject
{
    Q_OBJECT
public:
    // Installs the handler once per process; false (with errno) if that failed.
    static ChildSignal *instance();

Q_SIGNALS:
    // One or more children changed state since the last emission.
    void childChanged();

private:
    ChildSignal(UniqueFd readEnd, QObject *parent);
    void onReadable();

    UniqueFd m_readEnd;
    QSocketNotifier *m_notifier;
};

} // namespace Hamlet::Containers
