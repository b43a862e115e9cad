// The container backend end to end, as root, with the real runc, overlayfs and cgroups (label
// "helper"): what a person sees through the bus, minus the bus.
#include "containerbackend.h"
#include "hostprobe.h"
#include "overlaymount.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <QCoro/QCoroTask>
#include <csignal>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Hamlet::Containers;

namespace {

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll().trimmed() : QByteArray("<unreadable>");
}

QVariantMap webSpec(const QStringList &command = {QStringLiteral("sleep"), QStringLiteral("3600")})
{
    return {{QStringLiteral("image"), QStringLiteral("busybox")},
            {QStringLiteral("command"), command},
            {QStringLiteral("cpus"), 0.5},
            {QStringLiteral("memory"), QVariant::fromValue<qulonglong>(64ull * 1024 * 1024)},
            {QStringLiteral("pids"), QVariant::fromValue<qulonglong>(64)}};
}

} // namespace

class TestContainerBackend : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    ContainerBackend::Options m_options;
    std::unique_ptr<ContainerBackend> m_backend;

    QString cgroupFile(const QString &controller, const QString &name, const QString &file) const
    {
        const ContainerCgroup cgroup(m_options.cgroupVersion, m_options.cgroupParent + QLatin1Char('/') + name);
        return cgroup.directory(controller) + QLatin1Char('/') + file;
    }

    Status create(const QString &name, const QVariantMap &map)
    {
        const auto spec = m_backend->validate(name, map);
        if (!spec)
            return spec.error();
        return QCoro::waitFor(m_backend->create(*spec));
    }

    QString stateOf(const QString &name) const
    {
        const auto info = m_backend->info(name);
        return info ? toString(info->state) : QStringLiteral("<none>");
    }

    QByteArray execOutput(const QString &name, const QStringList &argv)
    {
        const auto result = QCoro::waitFor(m_backend->exec(name, argv));
        if (!result)
            return "<exec failed: " + result.error().message.toUtf8() + ">";
        if (result->exitCode != 0)
            qWarning("%s exited with %d: %s", qPrintable(argv.join(QLatin1Char(' '))), result->exitCode,
                     result->errors.constData());
        return result->output.trimmed();
    }

    // Nothing of the container is left anywhere the helper put it.
    void verifyNothingLeft(const QString &name)
    {
        QVERIFY(!m_backend->info(name));
        QVERIFY(!QFileInfo::exists(m_options.stateDir + QStringLiteral("/containers/") + name));
        QVERIFY(
            !QFileInfo::exists(m_options.stateDir + QStringLiteral("/instances/") + name + QStringLiteral(".json")));
        QVERIFY(!QFileInfo::exists(m_options.runDir + QStringLiteral("/runc/") + name));
        QCOMPARE(ContainerCgroup(m_options.cgroupVersion, m_options.cgroupParent + QLatin1Char('/') + name)
                     .existingDirectories(),
                 QStringList());
        QVERIFY(!readFile(QStringLiteral("/proc/self/mountinfo"))
                     .contains(QFile::encodeName(m_options.stateDir + QStringLiteral("/containers/") + name
                                                 + QStringLiteral("/rootfs"))));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "needs root: runs runc, mounts overlays, makes cgroups");
        QVERIFY(m_dir.isValid());
        m_options.stateDir = m_dir.filePath(QStringLiteral("state"));
        m_options.runDir = m_dir.filePath(QStringLiteral("run"));
        // Containers get user namespaces: their root (an unprivileged host id) passes through
        // this directory to its rootfs; the id range goes in a private subuid/subgid, not /etc's.
        QFile::setPermissions(m_dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ExeOther);
        m_options.subidDir = m_dir.filePath(QStringLiteral("subid"));
        QVERIFY(QDir().mkpath(m_options.subidDir));
        m_options.cgroupVersion = Hamlet::HostProbe::cgroupVersion();
        m_options.runtime = Hamlet::HostProbe::chooseRuntime(m_options.cgroupVersion);
        m_options.hostCpus = static_cast<uint>(QThread::idealThreadCount());
        m_options.cgroupParent = QStringLiteral("/hamlet-test-%1").arg(::getpid());
        m_options.stopTimeout = std::chrono::seconds(2);
        QVERIFY2(!m_options.runtime.isEmpty(), "no usable OCI runtime (install runc)");
        m_backend = std::make_unique<ContainerBackend>(m_options);
        const Status ready = QCoro::waitFor(m_backend->initialize());
        QVERIFY2(ready.ok(), ready.ok() ? "" : qPrintable(ready.error().message));
    }

    void cleanupTestCase()
    {
        if (m_backend) {
            for (const QString &name : m_backend->names())
                QCoro::waitFor(m_backend->remove(name));
        }
        ContainerCgroup(m_options.cgroupVersion, m_options.cgroupParent).remove();
    }

    void create_runsWithTheLimitsAndHostnameAsked()
    {
        QSignalSpy states(m_backend.get(), &ContainerBackend::stateChanged);
        const Status created = create(QStringLiteral("web1"), webSpec());
        QVERIFY2(created.ok(), created.ok() ? "" : qPrintable(created.error().message));
        QCOMPARE(stateOf(QStringLiteral("web1")), QStringLiteral("running"));
        QCOMPARE(states.first().at(1).toString(), QStringLiteral("creating"));
        QCOMPARE(states.last().at(1).toString(), QStringLiteral("running"));

        QCOMPARE(execOutput(QStringLiteral("web1"), {QStringLiteral("hostname")}), QByteArray("web1"));
        QCOMPARE(execOutput(QStringLiteral("web1"), {QStringLiteral("cat"), QStringLiteral("/proc/1/comm")}),
                 QByteArray("sleep"));
        if (m_options.cgroupVersion == QStringLiteral("v2")) {
            QCOMPARE(readFile(cgroupFile({}, QStringLiteral("web1"), QStringLiteral("memory.max"))),
                     QByteArray("67108864"));
            QCOMPARE(readFile(cgroupFile({}, QStringLiteral("web1"), QStringLiteral("cpu.max"))),
                     QByteArray("50000 100000"));
        } else {
            QCOMPARE(readFile(cgroupFile(QStringLiteral("memory"), QStringLiteral("web1"),
                                         QStringLiteral("memory.limit_in_bytes"))),
                     QByteArray("67108864"));
            QCOMPARE(
                readFile(cgroupFile(QStringLiteral("cpu"), QStringLiteral("web1"), QStringLiteral("cpu.cfs_quota_us"))),
                QByteArray("50000"));
        }
        QCOMPARE(readFile(cgroupFile(QStringLiteral("pids"), QStringLiteral("web1"), QStringLiteral("pids.max"))),
                 QByteArray("64"));
        const auto stats = m_backend->stats(QStringLiteral("web1"));
        QVERIFY(stats.ok());
        QVERIFY(stats->memoryUsage > 0);
        QCOMPARE(stats->pids, 1ull);
    }

    void create_isAsSafeAsPodmanInside()
    {
        // CapEff of podman's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
        // SETPCAP NET_BIND_SERVICE SYS_CHROOT SETFCAP.
        QCOMPARE(execOutput(QStringLiteral("web1"),
                            {QStringLiteral("grep"), QStringLiteral("CapEff"), QStringLiteral("/proc/self/status")}),
                 QByteArray("CapEff:\t00000000800405fb"));
        const auto mount
            = QCoro::waitFor(m_backend->exec(QStringLiteral("web1"),
                                             {QStringLiteral("mount"), QStringLiteral("-t"), QStringLiteral("tmpfs"),
                                              QStringLiteral("none"), QStringLiteral("/mnt")}));
        QVERIFY(mount.ok());
        QVERIFY(mount->exitCode != 0);
        // Masked paths read as empty inside (those this kernel has: /proc/kcore needs CONFIG_PROC_KCORE).
        int masked = 0;
        for (const QString &path :
             {QStringLiteral("/proc/kcore"), QStringLiteral("/proc/keys"), QStringLiteral("/proc/timer_list")}) {
            if (!QFileInfo::exists(path))
                continue;
            QVERIFY(!readFile(path).isEmpty() || path == QStringLiteral("/proc/kcore"));
            QCOMPARE(execOutput(QStringLiteral("web1"), {QStringLiteral("wc"), QStringLiteral("-c"), path}),
                     QByteArray("0 ") + QFile::encodeName(path));
            ++masked;
        }
        QVERIFY(masked > 0);
        QCOMPARE(execOutput(QStringLiteral("web1"),
                            {QStringLiteral("sh"), QStringLiteral("-c"),
                             QStringLiteral("echo x > /proc/sys/kernel/domainname || echo refused")}),
                 QByteArray("refused"));
    }

    void network_noneMeansOnlyALoopbackThatIsUp()
    {
        QCOMPARE(execOutput(QStringLiteral("web1"), {QStringLiteral("ls"), QStringLiteral("/sys/class/net")}),
                 QByteArray("lo"));
        // IFF_UP | IFF_LOOPBACK
        QCOMPARE(execOutput(QStringLiteral("web1"), {QStringLiteral("cat"), QStringLiteral("/sys/class/net/lo/flags")}),
                 QByteArray("0x9"));
    }

    void inspect_showsIsolatedNamespacesAndTheFilterInForce()
    {
        const auto parts = m_backend->inspect(QStringLiteral("web1"));
        QVERIFY(parts.ok());
        QVERIFY(parts->value(QStringLiteral("pid")).toLongLong() > 0);
        const QVariantMap namespaces = parts->value(QStringLiteral("namespaces")).toMap();
        const auto state = [&namespaces](const QString &type) {
            return namespaces.value(type).toMap().value(QStringLiteral("state")).toString();
        };
        for (const QString &type : {QStringLiteral("pid"), QStringLiteral("mnt"), QStringLiteral("uts"),
                                    QStringLiteral("ipc"), QStringLiteral("net")})
            QCOMPARE(state(type), QStringLiteral("isolated"));
        // A user namespace of its own by default (userns auto): root inside is not root outside.
        QCOMPARE(state(QStringLiteral("user")), QStringLiteral("isolated"));
        QCOMPARE(parts->value(QStringLiteral("seccompMode")).toInt(), 2);
        QCOMPARE(parts->value(QStringLiteral("noNewPrivs")).toBool(), true);
        QCOMPARE(parts->value(QStringLiteral("memoryLimit")).toULongLong(), 67108864ull);
        QVERIFY(parts->value(QStringLiteral("rootfsMount")).toString().contains(QStringLiteral("lowerdir=")));
    }

    void setLimits_changesTheRunningContainersCgroup()
    {
        ContainerLimits limits;
        limits.memory = 128ull * 1024 * 1024;
        limits.pids = 100;
        QVERIFY(m_backend->setLimits(QStringLiteral("web1"), limits).ok());
        const auto stats = m_backend->stats(QStringLiteral("web1"));
        QCOMPARE(stats->memoryLimit, std::optional<quint64>(134217728));
        QCOMPARE(stats->pidsLimit, std::optional<quint64>(100));
        QCOMPARE(m_backend->info(QStringLiteral("web1"))->spec.memory, 134217728ull);
    }

    void create_refusesWhatExistsOrIsUnknown()
    {
        QCOMPARE(m_backend->validate(QStringLiteral("web1"), webSpec()).error().name, Hamlet::Error::Exists);
        QVariantMap unknown = webSpec();
        unknown.insert(QStringLiteral("image"), QStringLiteral("no-such-image"));
        QCOMPARE(m_backend->validate(QStringLiteral("other"), unknown).error().name, Hamlet::Error::InvalidArgument);
        QVERIFY(!m_backend->info(QStringLiteral("other")));
    }

    void removeImage_isRefusedWhileAContainerUsesIt()
    {
        const Status removed = QCoro::waitFor(m_backend->removeImage(QStringLiteral("busybox")));
        QVERIFY(!removed.ok());
        QCOMPARE(removed.error().name, Hamlet::Error::Busy);
        QVERIFY(removed.error().message.contains(QStringLiteral("web1")));
        QVERIFY(m_backend->imageStore().contains(QStringLiteral("busybox")));
        QCOMPARE(QCoro::waitFor(m_backend->removeImage(QStringLiteral("nope"))).error().name, Hamlet::Error::NotFound);
    }

    void pauseResume_freezeAndThaw()
    {
        QVERIFY(QCoro::waitFor(m_backend->pause(QStringLiteral("web1"))).ok());
        QCOMPARE(stateOf(QStringLiteral("web1")), QStringLiteral("paused"));
        QVERIFY(QCoro::waitFor(m_backend->resume(QStringLiteral("web1"))).ok());
        QCOMPARE(stateOf(QStringLiteral("web1")), QStringLiteral("running"));
        QCOMPARE(execOutput(QStringLiteral("web1"), {QStringLiteral("echo"), QStringLiteral("awake")}),
                 QByteArray("awake"));
    }

    void stop_termThenKillAfterTheTimeout()
    {
        QSignalSpy states(m_backend.get(), &ContainerBackend::stateChanged);
        QVERIFY(QCoro::waitFor(m_backend->stop(QStringLiteral("web1"), false)).ok());
        const auto info = m_backend->info(QStringLiteral("web1"));
        QCOMPARE(toString(info->state), QStringLiteral("stopped"));
        QCOMPARE(info->exitCode, 128 + 9); // sleep as PID 1 ignores SIGTERM
        QCOMPARE(states.last().at(2).toInt(), 137);
        QVERIFY(!OverlayMount::isMountPoint(info->bundle + QStringLiteral("/rootfs")));
    }

    void start_againKeepsTheContainersFiles()
    {
        QVERIFY(QCoro::waitFor(m_backend->start(QStringLiteral("web1"))).ok());
        QVERIFY(
            QCoro::waitFor(m_backend->exec(QStringLiteral("web1"), {QStringLiteral("touch"), QStringLiteral("/kept")}))
                .ok());
        QVERIFY(QCoro::waitFor(m_backend->restart(QStringLiteral("web1"))).ok());
        QCOMPARE(stateOf(QStringLiteral("web1")), QStringLiteral("running"));
        QCOMPARE(execOutput(QStringLiteral("web1"), {QStringLiteral("ls"), QStringLiteral("/kept")}),
                 QByteArray("/kept"));
    }

    void exit_onItsOwnIsSeenWithTheExitCode()
    {
        QSignalSpy states(m_backend.get(), &ContainerBackend::stateChanged);
        QVERIFY(create(QStringLiteral("three"),
                       webSpec({QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("sleep 0.3; exit 3")}))
                    .ok());
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("three")), QStringLiteral("stopped"), 3000);
        QCOMPARE(m_backend->info(QStringLiteral("three"))->exitCode, 3);
        QCOMPARE(states.last().at(1).toString(), QStringLiteral("stopped"));
        QVERIFY(QCoro::waitFor(m_backend->remove(QStringLiteral("three"))).ok());
        verifyNothingLeft(QStringLiteral("three"));
    }

    void exit_atOnceIsStillSeenAndCleanedUp()
    {
        QVERIFY(create(QStringLiteral("quick"), webSpec({QStringLiteral("true")})).ok());
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("quick")), QStringLiteral("stopped"), 3000);
        QCOMPARE(m_backend->info(QStringLiteral("quick"))->exitCode, 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            !OverlayMount::isMountPoint(m_backend->info(QStringLiteral("quick"))->bundle + QStringLiteral("/rootfs")),
            3000);
        QVERIFY(QCoro::waitFor(m_backend->start(QStringLiteral("quick"))).ok()); // and it can run again
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("quick")), QStringLiteral("stopped"), 3000);
        QVERIFY(QCoro::waitFor(m_backend->remove(QStringLiteral("quick"))).ok());
        verifyNothingLeft(QStringLiteral("quick"));
    }

    void create_missingCommandEndsFailedWithTheRuntimesMessage()
    {
        const Status created = create(QStringLiteral("nocmd"), webSpec({QStringLiteral("/no/such/program")}));
        QVERIFY(!created.ok());
        QVERIFY2(created.error().message.contains(QStringLiteral("/no/such/program")),
                 qPrintable(created.error().message));
        QCOMPARE(stateOf(QStringLiteral("nocmd")), QStringLiteral("failed"));
        QVERIFY(QCoro::waitFor(m_backend->remove(QStringLiteral("nocmd"))).ok());
        verifyNothingLeft(QStringLiteral("nocmd"));
    }

    void console_ofATtyContainerRunsCommands()
    {
        QVariantMap spec = webSpec({QStringLiteral("/bin/sh")});
        spec.insert(QStringLiteral("tty"), true);
        QVERIFY(create(QStringLiteral("tty1"), spec).ok());
        auto console = m_backend->openConsole(QStringLiteral("tty1"));
        QVERIFY2(console.ok(), console.ok() ? "" : qPrintable(console.error().message));
        const QByteArray command = "echo h''i\n";
        QCOMPARE(::write(console->get(), command.constData(), command.size()), command.size());
        QByteArray seen;
        QDeadlineTimer deadline(5000);
        while (!seen.contains("\nhi") && !deadline.hasExpired()) {
            pollfd waiting {console->get(), POLLIN, 0};
            char buffer[256];
            if (::poll(&waiting, 1, 100) > 0) {
                const ssize_t n = ::read(console->get(), buffer, sizeof buffer);
                if (n > 0)
                    seen.append(buffer, n);
            }
        }
        QVERIFY2(seen.contains("\nhi"), seen.constData());
        QCOMPARE(m_backend->openConsole(QStringLiteral("web1")).error().name, Hamlet::Error::Unsupported);
    }

    void stats_cpuCounterGrowsByTheCpuBurntWithinTheQuota()
    {
        QVERIFY(create(QStringLiteral("burner"),
                       webSpec({QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("yes > /dev/null")}))
                    .ok());
        QTest::qWait(300); // past start-up
        const auto before = m_backend->stats(QStringLiteral("burner"));
        QElapsedTimer clock;
        clock.start();
        QTest::qWait(2000);
        const auto after = m_backend->stats(QStringLiteral("burner"));
        QVERIFY(before.ok() && after.ok());
        const double cores = double(after->cpuUsageNs - before->cpuUsageNs) / double(clock.nsecsElapsed());
        // 0.5 cores asked: the quota holds it there, and it does use what it is given.
        QVERIFY2(cores > 0.3 && cores < 0.6, qPrintable(QString::number(cores)));
        QVERIFY(after->memoryUsage > 0);
        QCOMPARE(after->cpus, std::optional<double>(0.5));
        QVERIFY(QCoro::waitFor(m_backend->remove(QStringLiteral("burner"))).ok());
        verifyNothingLeft(QStringLiteral("burner"));
    }

    void helperRestart_findsRunningContainersAndCleansHalfCreatedOnes()
    {
        // A create that died half-way: a bundle with a mounted rootfs, a cgroup, no record.
        const QString ghost = m_options.stateDir + QStringLiteral("/containers/ghost");
        for (const QString &sub : {QStringLiteral("/rootfs"), QStringLiteral("/upper"), QStringLiteral("/work")})
            QVERIFY(QDir().mkpath(ghost + sub));
        const auto info = m_backend->info(QStringLiteral("web1"));
        QVERIFY(
            OverlayMount::mount(
                m_backend->imageStore().unpackLayers(*m_backend->imageStore().image(QStringLiteral("busybox"))).value(),
                ghost + QStringLiteral("/upper"), ghost + QStringLiteral("/work"), ghost + QStringLiteral("/rootfs"))
                .ok());
        const ContainerCgroup ghostCgroup(m_options.cgroupVersion, m_options.cgroupParent + QStringLiteral("/ghost"));
        QVERIFY(QDir().mkpath(ghostCgroup.directory(QStringLiteral("pids"))));
        const qint64 pid = info->pid;
        // An autostart container that dies while the helper is away comes back with the helper.
        QVariantMap autoSpec = webSpec();
        autoSpec.insert(QStringLiteral("autostart"), true);
        QVERIFY(create(QStringLiteral("auto"), autoSpec).ok());
        const qint64 autoPid = m_backend->info(QStringLiteral("auto"))->pid;

        m_backend.reset(); // the helper goes away; containers keep running
        QCOMPARE(::kill(static_cast<pid_t>(autoPid), SIGKILL), 0);
        QCOMPARE(::waitpid(static_cast<pid_t>(autoPid), nullptr, 0), static_cast<pid_t>(autoPid)); // we are its reaper
        m_backend = std::make_unique<ContainerBackend>(m_options);
        QVERIFY(QCoro::waitFor(m_backend->initialize()).ok());
        QCOMPARE(stateOf(QStringLiteral("auto")), QStringLiteral("running"));
        QVERIFY(m_backend->info(QStringLiteral("auto"))->pid != autoPid);

        QCOMPARE(stateOf(QStringLiteral("web1")), QStringLiteral("running"));
        QCOMPARE(m_backend->info(QStringLiteral("web1"))->pid, pid);
        // (tty1's shell is not checked: the pty master died with the old helper, so it got SIGHUP.)
        verifyNothingLeft(QStringLiteral("ghost"));
        // Still controllable, and its exit is still seen.
        QCOMPARE(execOutput(QStringLiteral("web1"), {QStringLiteral("hostname")}), QByteArray("web1"));
        QVERIFY(QCoro::waitFor(m_backend->stop(QStringLiteral("web1"), true)).ok());
        QCOMPARE(stateOf(QStringLiteral("web1")), QStringLiteral("stopped"));
    }

    void remove_leavesNothingBehind()
    {
        for (const QString &name : {QStringLiteral("web1"), QStringLiteral("tty1"), QStringLiteral("auto")}) {
            QVERIFY(QCoro::waitFor(m_backend->remove(name)).ok());
            verifyNothingLeft(name);
        }
        QCOMPARE(QCoro::waitFor(m_backend->remove(QStringLiteral("web1"))).error().name, Hamlet::Error::NotFound);
        // With no container left the image goes, and so do its layers.
        const QString layer = m_backend->imageStore().layerPath(
            m_backend->imageStore().image(QStringLiteral("busybox"))->diffIds.first());
        QVERIFY(QFileInfo::exists(layer));
        QVERIFY(QCoro::waitFor(m_backend->removeImage(QStringLiteral("busybox"))).ok());
        QVERIFY(!QFileInfo::exists(layer));
        QVERIFY(m_backend->imageStore().images().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestContainerBackend)
#include "tst_containerbackend.moc"
