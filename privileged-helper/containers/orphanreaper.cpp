#include "orphanreaper.h"

#include "childsignal.h"
#include "fsutil.h"
#include "logging.h"

#include <QDir>
#include <QSet>

#include <sys/wait.h>
#include <unistd.h>

namespace Hamlet::Containers {

namespace {

// The state letter and parent pid from /proc/PID/stat ("pid (comm) S ppid ..."); comm may hold
// spaces and parentheses, so parse after the last ')'.
bool statOf(qint64 pid, char *state, qint64 *parent)
{
    const QByteArray stat = readSmallFile(QStringLiteral("/proc/%1/stat").arg(pid));
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0)
        return false;
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    if (fields.size() < 2 || fields.at(0).isEmpty())
        return false;
    *state = fields.at(0).at(0);
    *parent = fields.at(1).toLongLong();
    return true;
}

QList<qint64> childrenOfThisProcess()
{
    QSet<qint64> children;
    const QDir tasks(QStringLiteral("/proc/self/task"));
    bool haveChildrenFiles = false;
    for (const QString &task : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool ok = false;
        const QByteArray list = readSmallFile(tasks.filePath(task) + QStringLiteral("/children"), &ok);
        haveChildrenFiles = haveChildrenFiles || ok;
        for (const QByteArray &pid : list.simplified().split(' ')) {
            if (!pid.isEmpty())
                children.insert(pid.toLongLong());
        }
    }
    if (!haveChildrenFiles) {
        // Kernels without CONFIG_PROC_CHILDREN: look at every process's parent.
        const qint64 self = ::getpid();
        for (const QString &entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
            bool numeric = false;
            const qint64 pid = entry.toLongLong(&numeric);
            char state = 0;
            qint64 parent = 0;
            if (numeric && statOf(pid, &state, &parent) && parent == self)
                children.insert(pid);
        }
    }
    return children.values();
}

} // namespace

OrphanReaper::OrphanReaper(std::function<bool(qint64)> isClaimed, std::chrono::milliseconds interval, QObject *parent)
    : QObject(parent)
    , m_isClaimed(std::move(isClaimed))
{
    m_timer.setInterval(interval);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &OrphanReaper::reapStaleZombies);
}

void OrphanReaper::start()
{
    ChildSignal *signal = ChildSignal::instance();
    if (!signal) {
        // Without SIGCHLD, fall back to looking every interval.
        m_timer.setSingleShot(false);
        m_timer.start();
        return;
    }
    connect(signal, &ChildSignal::childChanged, this, &OrphanReaper::schedulePass, Qt::UniqueConnection);
    schedulePass();
}

void OrphanReaper::schedulePass()
{
    if (!m_timer.isActive())
        m_timer.start();
}

QList<qint64> OrphanReaper::zombieChildren()
{
    QList<qint64> zombies;
    for (const qint64 pid : childrenOfThisProcess()) {
        char state = 0;
        qint64 parent = 0;
        if (statOf(pid, &state, &parent) && state == 'Z')
            zombies << pid;
    }
    return zombies;
}

QList<qint64> OrphanReaper::reapStaleZombies()
{
    QList<qint64> reaped;
    QHash<qint64, int> seen;
    for (const qint64 pid : zombieChildren()) {
        if (m_isClaimed && m_isClaimed(pid))
            continue;
        const int passes = m_seen.value(pid) + 1;
        // First sighting: its owner (Qt, an ExitWatcher) may be about to reap it. Second: nobody will.
        if (passes < 2) {
            seen.insert(pid, passes);
            continue;
        }
        if (::waitpid(static_cast<pid_t>(pid), nullptr, WNOHANG) == pid) {
            Log::containers()->debug("reaped orphan process {}", pid);
            reaped << pid;
        }
    }
    m_seen = seen;
    // A zombie seen once is looked at again after an interval; none left: sleep until SIGCHLD.
    if (!m_seen.isEmpty())
        schedulePass();
    return reaped;
}

} // namespace Hamlet::Containers
