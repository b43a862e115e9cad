#pragma once

#include "clienttest.h"
#include "testsystem.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QThread>

// What a test helper holds on the host that a leak or a half-made instance would leave: its open
// fds, mounts under its state or run dir, cgroups under its cgroup parent, QEMU processes of its
// VMs, its RSS. Used by the soak (counts before and after) and the fail points (nothing that no
// record owns).
namespace Hamlet::Test {

struct HelperFootprint {
    int fds = 0;
    QStringList fdTargets; // what each fd is, so a failure says what leaked
    int mounts = 0;
    int cgroups = 0;
    int qemus = 0;
    qulonglong rssKiB = 0;

    QString describe() const
    {
        return QStringLiteral("fds %1, mounts %2, cgroups %3, QEMU processes %4, RSS %5 KiB; fds: %6")
            .arg(fds)
            .arg(mounts)
            .arg(cgroups)
            .arg(qemus)
            .arg(rssKiB)
            .arg(fdTargets.join(QLatin1Char(' ')));
    }
};

inline qulonglong rssKiBOf(qint64 pid)
{
    for (const QByteArray &line : readFile(QStringLiteral("/proc/%1/status").arg(pid)).split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toULongLong();
    }
    return 0;
}

// QEMU processes of this helper's VMs (other helpers may run VMs on this machine at the same time):
// their command lines name files under its run or state dir.
inline int qemuProcessesOf(const TestSystem &system)
{
    int count = 0;
    for (const QString &entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        bool isPid = false;
        entry.toLongLong(&isPid);
        if (!isPid || !readFile(QStringLiteral("/proc/%1/comm").arg(entry)).startsWith("qemu-system"))
            continue;
        const QByteArray commandLine = readFile(QStringLiteral("/proc/%1/cmdline").arg(entry));
        if (commandLine.contains(system.runDir().toUtf8()) || commandLine.contains(system.stateDir().toUtf8()))
            ++count;
    }
    return count;
}

// Waits, in wall-clock time, until no QEMU of this helper runs (libvirt's capability probe at the
// helper's start, or the last VM's QEMU going away).
inline bool waitUntilNoQemuOf(const TestSystem &system, int timeoutMs)
{
    QElapsedTimer waited;
    waited.start();
    while (qemuProcessesOf(system) != 0) {
        if (waited.elapsed() > timeoutMs)
            return false;
        QThread::msleep(100);
    }
    return true;
}

// The helper's cgroup parent is named after its state dir (helperservice.cpp), in every hierarchy.
inline int cgroupsUnder(const QString &stateDir)
{
    const QString parent
        = QStringLiteral("hamlet-%1")
              .arg(QString::fromLatin1(
                  QCryptographicHash::hash(stateDir.toUtf8(), QCryptographicHash::Sha256).toHex().left(12)));
    int count = 0;
    QDirIterator hierarchies(QStringLiteral("/sys/fs/cgroup"), QDir::Dirs | QDir::NoDotAndDotDot);
    while (hierarchies.hasNext()) {
        const QString root = hierarchies.next() + QLatin1Char('/') + parent;
        if (!QFileInfo(root).isDir())
            continue;
        QDirIterator groups(root, QDir::Dirs | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
        while (groups.hasNext()) {
            groups.next();
            ++count;
        }
    }
    return count;
}

// Mounts under the helper's dirs, as the host's mount namespace sees them.
inline int mountsUnder(const TestSystem &system)
{
    int count = 0;
    for (const QByteArray &line : readFile(QStringLiteral("/proc/self/mountinfo")).split('\n')) {
        if (line.contains(system.stateDir().toUtf8()) || line.contains(system.runDir().toUtf8()))
            ++count;
    }
    return count;
}

// Every file under root with its size, sorted ("/relative/path SIZE"): a store "as it was".
inline QStringList filesWithSizesUnder(const QString &root)
{
    QStringList files;
    QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        files << QStringLiteral("%1 %2").arg(path.mid(root.size())).arg(QFileInfo(path).size());
    }
    files.sort();
    return files;
}

inline HelperFootprint footprintOf(const TestSystem &system)
{
    HelperFootprint footprint;
    const qint64 pid = system.helperPid();
    const QString fdDir = QStringLiteral("/proc/%1/fd").arg(pid);
    const QStringList fds = QDir(fdDir).entryList(QDir::NoDotAndDotDot | QDir::System);
    footprint.fds = int(fds.size());
    for (const QString &fd : fds)
        footprint.fdTargets << fd + QLatin1Char('=') + QFile::symLinkTarget(fdDir + QLatin1Char('/') + fd);
    footprint.mounts = mountsUnder(system);
    footprint.cgroups = cgroupsUnder(system.stateDir());
    footprint.qemus = qemuProcessesOf(system);
    footprint.rssKiB = rssKiBOf(pid);
    return footprint;
}

} // namespace Hamlet::Test
