#include "exitwatcher.h"

#include <QSocketNotifier>

#include <csignal>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace Hamlet::Containers {

ExitWatcher::ExitWatcher(qint64 pid, UniqueFd pidfd, QObject *parent)
    : QObject(parent)
    , m_pid(pid)
    , m_pidfd(std::move(pidfd))
    , m_notifier(new QSocketNotifier(m_pidfd.get(), QSocketNotifier::Read, this))
{
    connect(m_notifier, &QSocketNotifier::activated, this, &ExitWatcher::onReadable);
}

ExitWatcher::~ExitWatcher() = default;

ExitWatcher *ExitWatcher::watch(qint64 pid, QObject *parent)
{
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)));
    if (!pidfd.valid())
        return nullptr;
    return new ExitWatcher(pid, std::move(pidfd), parent);
}

bool ExitWatcher::becomeSubreaper()
{
    return ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
}

void ExitWatcher::onReadable()
{
    m_notifier->setEnabled(false);
    siginfo_t info {};
    int exitCode = -1;
    // Reaps only this process: other children (QProcess's) are left to their owners.
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(m_pidfd.get()), &info, WEXITED | WNOHANG) == 0
        && info.si_pid != 0) {
        if (info.si_code == CLD_EXITED)
            exitCode = info.si_status;
        else if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED)
            exitCode = 128 + info.si_status;
    }
    Q_EMIT exited(exitCode);
}

} // namespace Hamlet::Containers
