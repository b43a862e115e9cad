#include "exitwatcher.h"
#include "orphanreaper.h"

#include <QProcess>
#include <QSignalSpy>
#include <QTest>

#include <csignal>
#include <sys/wait.h>

using namespace Hamlet::Containers;

namespace {

// Starts a shell that leaves a short-lived background child behind: as subreaper, this test
// process inherits it, and it becomes our zombie when it ends. Returns its pid.
qint64 spawnOrphan()
{
    QProcess shell;
    shell.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("sleep 0.1 & echo $!")});
    if (!shell.waitForFinished(5000))
        qFatal("sh did not finish");
    return shell.readAllStandardOutput().trimmed().toLongLong();
}

bool waitUntilZombie(qint64 pid)
{
    QDeadlineTimer deadline(5000);
    while (!deadline.hasExpired()) {
        if (OrphanReaper::zombieChildren().contains(pid))
            return true;
        QTest::qWait(20);
    }
    return false;
}

} // namespace

class TestOrphanReaper : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(ExitWatcher::becomeSubreaper()); }

    void orphans_areReapedOnlyAfterAWholeInterval()
    {
        const qint64 orphan = spawnOrphan();
        QVERIFY(orphan > 0);
        QVERIFY(waitUntilZombie(orphan));
        OrphanReaper reaper([](qint64) { return false; }, std::chrono::seconds(10));
        QVERIFY(reaper.reapStaleZombies().isEmpty()); // its owner may still come for it
        QVERIFY(OrphanReaper::zombieChildren().contains(orphan));
        QCOMPARE(reaper.reapStaleZombies(), QList<qint64> {orphan});
        QVERIFY(!OrphanReaper::zombieChildren().contains(orphan));
    }

    void claimedChildren_areLeftToTheirWatcher()
    {
        const qint64 orphan = spawnOrphan();
        QVERIFY(waitUntilZombie(orphan));
        OrphanReaper reaper([orphan](qint64 pid) { return pid == orphan; }, std::chrono::seconds(10));
        reaper.reapStaleZombies();
        QVERIFY(reaper.reapStaleZombies().isEmpty());
        QVERIFY(OrphanReaper::zombieChildren().contains(orphan));
        QCOMPARE(::waitpid(static_cast<pid_t>(orphan), nullptr, 0), static_cast<pid_t>(orphan));
    }

    void exitWatcher_getsTheExitCodeOfAnAdoptedChild()
    {
        QProcess shell;
        shell.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("(sleep 0.2; exit 7) & echo $!")});
        QVERIFY(shell.waitForFinished(5000));
        const qint64 pid = shell.readAllStandardOutput().trimmed().toLongLong();
        ExitWatcher *watcher = ExitWatcher::watch(pid, this);
        QVERIFY(watcher);
        QSignalSpy exited(watcher, &ExitWatcher::exited);
        QVERIFY(exited.wait(5000));
        QCOMPARE(exited.first().first().toInt(), 7);
        delete watcher;
    }

    // Started, it sleeps (no timer) until SIGCHLD, reaps the orphan within two intervals of its
    // exit, and sleeps again.
    void started_reapsAfterSigchldAndOtherwiseSleeps()
    {
        OrphanReaper reaper([](qint64) { return false; }, std::chrono::milliseconds(200));
        reaper.start();
        QTRY_VERIFY_WITH_TIMEOUT(!reaper.passScheduled(), 2000);
        QTest::qWait(500);
        QVERIFY2(!reaper.passScheduled(), "nothing exited: no pass may be scheduled");

        const qint64 orphan = spawnOrphan(); // ends 0.1 s later, with nobody to reap it but us
        QVERIFY(orphan > 0);
        QTRY_VERIFY_WITH_TIMEOUT(::kill(static_cast<pid_t>(orphan), 0) != 0, 3000);
        QCOMPARE(::waitpid(static_cast<pid_t>(orphan), nullptr, WNOHANG), -1); // reaped: not ours any more
        QTRY_VERIFY_WITH_TIMEOUT(!reaper.passScheduled(), 2000);
    }
};

QTEST_GUILESS_MAIN(TestOrphanReaper)
#include "tst_orphanreaper.moc"
