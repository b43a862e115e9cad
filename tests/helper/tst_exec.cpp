// Issue 20 acceptance 4: a shell in a running container (Instance1.Exec) through the whole stack
// (real bus, polkitd, helper, runc): it runs in the container's pid namespace and cgroup with the
// container's capabilities, its exit status comes back, and every refusal is named.
#include "clienttest.h"
#include "errors.h"
#include "testsystem.h"

#include <QDir>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <QCoro/QCoroTask>
#include <csignal>
#include <sys/ioctl.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {
// Everything a pty master gives until the process on it ends (EIO) or the time is up.
QByteArray readToEnd(int fd, int timeoutMs = 15000)
{
    return readUntil(fd, QByteArray("\x01never\x02"), timeoutMs);
}

// "pid:[4026532249]": the namespace a process is in.
QByteArray namespaceOf(qint64 pid, const QString &kind)
{
    char target[128] = {};
    const QByteArray path = QStringLiteral("/proc/%1/ns/%2").arg(pid).arg(kind).toLocal8Bit();
    const ssize_t n = ::readlink(path.constData(), target, sizeof target - 1);
    return n > 0 ? QByteArray(target, n) : QByteArray("<unreadable>");
}

QString statusField(qint64 pid, const QByteArray &field)
{
    for (const QByteArray &line : readFile(QStringLiteral("/proc/%1/status").arg(pid)).split('\n')) {
        if (line.startsWith(field + ':'))
            return QString::fromUtf8(line.mid(field.size() + 1).trimmed());
    }
    return {};
}
} // namespace

class TestExec : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;

    Run ctl(const QString &user, const QStringList &arguments)
    {
        return m_system.run(user, TestSystem::ctlProgram(), arguments, 60000);
    }

    QVariantMap inspect(const QString &name)
    {
        const auto parts = QCoro::waitFor(m_client->inspect(name));
        const auto *values = std::get_if<QVariantMap>(&parts);
        return values ? *values : QVariantMap();
    }

    // The status ExecExited brings for id (waits for it), or nothing.
    std::optional<int> exitOf(QSignalSpy &spy, uint id)
    {
        for (int round = 0; round < 50; ++round) {
            for (const QList<QVariant> &signal : std::as_const(spy)) {
                if (signal.value(1).toUInt() == id)
                    return signal.value(2).toInt();
            }
            spy.wait(200);
        }
        return std::nullopt;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        const QVariantMap spec {
            {QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}},
            {QStringLiteral("network"), QStringLiteral("none")}};
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("shell1"), spec), QString());
    }

    void exec_seesTheContainersPid1AndCaps()
    {
        QSignalSpy exits(m_client.get(), &HelperClient::execExited);
        QElapsedTimer timer;
        timer.start();
        const QStringList argv {QStringLiteral("sh"), QStringLiteral("-c"),
                                QStringLiteral("cat /proc/1/cmdline; echo; grep CapEff /proc/self/status; "
                                               "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; "
                                               "echo TERM=$TERM; id -u")};
        const auto started = QCoro::waitFor(m_client->exec(QStringLiteral("shell1"), argv));
        QString failure;
        const ExecSession session = valueOr(started, &failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        QVERIFY(session.terminal >= 0);
        QVERIFY(::isatty(session.terminal)); // a pty master
        const QByteArray output = readToEnd(session.terminal);
        ::close(session.terminal);

        // PID 1 is the container's sleep, not the host's init.
        QVERIFY2(output.contains(QByteArray("sleep\0"
                                            "3600",
                                            10)),
                 output.constData());
        QVERIFY(readFile(QStringLiteral("/proc/1/cmdline"))
                != QByteArray("sleep\0"
                              "3600\0",
                              11));
        // The container's effective capabilities (its init's, read by Inspect), not root's full set.
        const QVariantMap parts = inspect(QStringLiteral("shell1"));
        const QString capEff = parts.value(QStringLiteral("capEff")).toString();
        QVERIFY(!capEff.isEmpty());
        QVERIFY(capEff != statusField(::getpid(), "CapEff"));
        QVERIFY2(output.contains(QStringLiteral("CapEff:\t%1").arg(capEff).toUtf8()), output.constData());
        // Under the container's seccomp filter and no_new_privs, as its own process is.
        QVERIFY2(output.contains("Seccomp:\t2"), output.constData());
        QVERIFY2(output.contains("NoNewPrivs:\t1"), output.constData());
        QVERIFY2(output.contains("TERM=xterm"), output.constData()); // added for a container made without tty
        QVERIFY2(output.contains("\n0\r\n") || output.contains("\n0\n"), output.constData()); // its root user
        QCOMPARE(exitOf(exits, session.id), std::optional<int>(0));
        qInfo("Exec, output read and ExecExited received in %lld ms", timer.elapsed());
    }

    void exec_runsInTheContainersCgroupAndPidNamespace_andHangupEndsIt()
    {
        QSignalSpy exits(m_client.get(), &HelperClient::execExited);
        const QStringList argv {QStringLiteral("sleep"), QStringLiteral("60")};
        const QVariantMap options {{QStringLiteral("rows"), 30u}, {QStringLiteral("columns"), 100u}};
        const auto started = QCoro::waitFor(m_client->exec(QStringLiteral("shell1"), argv, options));
        QString failure;
        const ExecSession session = valueOr(started, &failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        const qint64 init = inspect(QStringLiteral("shell1")).value(QStringLiteral("pid")).toLongLong();
        const qint64 shell = session.id; // the host's pid of the process
        QVERIFY(init > 0 && shell > 0 && shell != init);
        QCOMPARE(readFile(QStringLiteral("/proc/%1/cgroup").arg(shell)),
                 readFile(QStringLiteral("/proc/%1/cgroup").arg(init)));
        for (const QString &ns : {QStringLiteral("pid"), QStringLiteral("mnt"), QStringLiteral("user")})
            QCOMPARE(namespaceOf(shell, ns), namespaceOf(init, ns));
        // The window size asked for is the pty's.
        winsize size {};
        QCOMPARE(::ioctl(session.terminal, TIOCGWINSZ, &size), 0);
        QCOMPARE(int(size.ws_row), 30);
        QCOMPARE(int(size.ws_col), 100);
        // Closing the master hangs the session up, as closing a terminal window does: SIGHUP.
        ::close(session.terminal);
        QCOMPARE(exitOf(exits, session.id), std::optional<int>(128 + SIGHUP));
        // Nothing of the exec is left in the run directory (process file, socket, pid file).
        QCOMPARE(QDir(m_system.runDir() + QStringLiteral("/exec")).entryList(QDir::NoDotAndDotDot | QDir::AllEntries),
                 QStringList());
    }

    void hamletctlExec_returnsTheProcesssExitStatus()
    {
        const Run run
            = ctl(TestSystem::AllowedUser,
                  {QStringLiteral("exec"), QStringLiteral("shell1"), QStringLiteral("--"), QStringLiteral("sh"),
                   QStringLiteral("-c"), QStringLiteral("echo inside $HOSTNAME; exit 7")});
        QVERIFY(run.finished);
        QCOMPARE(run.exitCode, 7);
        QVERIFY2(run.out.contains("inside shell1"), run.out.constData());
        // Piped input is typed into the shell, and its end ends the shell.
        auto shell = m_system.spawn(TestSystem::AllowedUser, TestSystem::ctlProgram(),
                                    {QStringLiteral("exec"), QStringLiteral("shell1")});
        shell->write("echo $((6*7)) > /tmp/answer; cat /tmp/answer\n");
        shell->closeWriteChannel();
        QVERIFY(shell->waitForFinished(30000));
        QCOMPARE(shell->exitCode(), 0);
        QVERIFY2(shell->readAllStandardOutput().contains("42"), "the shell did not run the piped line");
    }

    void hamletctlExec_onATerminal_passesItsSize()
    {
        // script(1) gives hamletctl a terminal of 33x77: the shell's pty starts with that size.
        const QString command = QStringLiteral("stty rows 33 cols 77; %1 exec shell1 -- sh -c 'stty size; exit 5'")
                                    .arg(TestSystem::ctlProgram());
        const Run run = m_system.run(TestSystem::AllowedUser, QStringLiteral("script"),
                                     {QStringLiteral("-qec"), command, QStringLiteral("/dev/null")});
        QVERIFY(run.finished);
        QVERIFY2(run.out.contains("33 77"), run.out.constData());
        QCOMPARE(run.exitCode, 5);
    }

    void deniedCaller_isNotAuthorized_andNothingRuns()
    {
        const Run run = ctl(TestSystem::DeniedUser,
                            {QStringLiteral("exec"), QStringLiteral("shell1"), QStringLiteral("--"),
                             QStringLiteral("touch"), QStringLiteral("/denied")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("dev.hamlet.Error.NotAuthorized"), run.err.constData());
        const auto check = QCoro::waitFor(m_client->exec(
            QStringLiteral("shell1"),
            {QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("test -e /denied && echo FOUND; echo done")}));
        QString failure;
        const ExecSession session = valueOr(check, &failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        const QByteArray output = readToEnd(session.terminal);
        ::close(session.terminal);
        QVERIFY2(output.contains("done") && !output.contains("FOUND"), output.constData());
    }

    void badRequests_getNamedErrors()
    {
        const QString name = QStringLiteral("shell1");
        const QStringList sh {QStringLiteral("sh")};
        QCOMPARE(errorName(QCoro::waitFor(m_client->exec(name, {}))), Error::InvalidArgument);
        QCOMPARE(errorName(QCoro::waitFor(m_client->exec(name, sh, {{QStringLiteral("colour"), true}}))),
                 Error::InvalidArgument);
        QCOMPARE(errorName(QCoro::waitFor(m_client->exec(name, sh, {{QStringLiteral("tty"), false}}))),
                 Error::Unsupported);
        const auto missing = QCoro::waitFor(m_client->exec(name, {QStringLiteral("/no/such/program")}));
        QCOMPARE(errorName(missing), Error::Failed);
        QVERIFY2(std::get<ClientError>(missing).message.contains(QStringLiteral("no/such/program")),
                 qPrintable(std::get<ClientError>(missing).message));
        QCOMPARE(errorName(QCoro::waitFor(m_client->exec(QStringLiteral("nosuch"), sh))),
                 QStringLiteral("org.freedesktop.DBus.Error.UnknownObject"));
    }

    void execInAStoppedContainer_saysItIsNotRunning()
    {
        const auto stopped = QCoro::waitFor(m_client->stop(QStringLiteral("shell1"), true));
        QVERIFY(std::holds_alternative<bool>(stopped));
        const auto refused = QCoro::waitFor(m_client->exec(QStringLiteral("shell1"), {QStringLiteral("sh")}));
        QCOMPARE(errorName(refused), Error::Failed);
        QVERIFY2(std::get<ClientError>(refused).message.contains(QStringLiteral("not running")),
                 qPrintable(std::get<ClientError>(refused).message));
    }

    void cleanupTestCase()
    {
        if (m_client)
            QCoro::waitFor(m_client->instanceCall(QStringLiteral("shell1"), QStringLiteral("Delete")));
    }
};

QTEST_GUILESS_MAIN(TestExec)
#include "tst_exec.moc"
