// Drives the real runc with bundles made by the real config generator over a real overlay of the
// built-in busybox image. Needs root (label "helper").
#include "busyboximage.h"
#include "cgroups.h"
#include "consolesocket.h"
#include "hostprobe.h"
#include "imagestore.h"
#include "ociconfig.h"
#include "ociruntime.h"
#include "overlaymount.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <QCoro/QCoroTask>
#include <csignal>
#include <poll.h>
#include <unistd.h>

using namespace Hamlet::Containers;

class TestOciRuntime : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<ImageStore> m_store;
    std::unique_ptr<OciRuntime> m_runtime;
    QStringList m_layers;
    ImageConfig m_image;
    QString m_cgroupVersion;
    QStringList m_bundles;
    QStringList m_ids;

    // A bundle whose rootfs is an overlay of the busybox layer, for a container named id.
    QString makeBundle(const QString &id, const QStringList &command, bool tty = false)
    {
        const QString bundle = m_dir.filePath(QStringLiteral("bundles/") + id);
        for (const QString &sub : {QStringLiteral("/rootfs"), QStringLiteral("/upper"), QStringLiteral("/work")})
            QDir().mkpath(bundle + sub);
        const Status mounted
            = OverlayMount::mount(m_layers, bundle + QStringLiteral("/upper"), bundle + QStringLiteral("/work"),
                                  bundle + QStringLiteral("/rootfs"));
        if (!mounted)
            qFatal("%s", qPrintable(mounted.error().message));
        m_bundles << bundle;
        ContainerSpec spec;
        spec.name = id;
        spec.image = QStringLiteral("busybox");
        spec.command = command;
        spec.tty = tty;
        spec.memory = 64ull * 1024 * 1024;
        spec.cpus = 0.5;
        const auto facts = OciConfig::HostFacts::current(m_cgroupVersion, QStringLiteral("/hamlet-test/") + id);
        const auto config = OciConfig::build(spec, m_image, *facts);
        QFile file(bundle + QStringLiteral("/config.json"));
        if (!config || !file.open(QIODevice::WriteOnly))
            qFatal("cannot write config.json");
        file.write(QJsonDocument(*config).toJson());
        return bundle;
    }

    QString uniqueId(const QString &base)
    {
        const QString id = QStringLiteral("hamlet-test-%1-%2").arg(base).arg(::getpid());
        m_ids << id;
        return id;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "needs root: runs runc and mounts overlays");
        QVERIFY(m_dir.isValid());
        m_cgroupVersion = Hamlet::HostProbe::cgroupVersion();
        const QString runtime = Hamlet::HostProbe::chooseRuntime(m_cgroupVersion);
        QVERIFY2(!runtime.isEmpty(), "no usable OCI runtime (install runc)");
        m_store = std::make_unique<ImageStore>(m_dir.filePath(QStringLiteral("images")));
        QVERIFY(m_store->initialize().ok());
        const auto image = BusyboxImage::ensure(*m_store, QStringLiteral("/bin/busybox"));
        QVERIFY(image.ok());
        m_image = image->config;
        m_layers = *m_store->unpackLayers(*image);
        m_runtime = std::make_unique<OciRuntime>(runtime, m_dir.filePath(QStringLiteral("run/runc")));
    }

    void cleanupTestCase()
    {
        if (m_runtime) {
            for (const QString &id : std::as_const(m_ids))
                QCoro::waitFor(m_runtime->remove(id, true));
        }
        for (const QString &bundle : std::as_const(m_bundles))
            OverlayMount::unmount(bundle + QStringLiteral("/rootfs"));
        // The runtime removes each container's cgroup but leaves the parent it created.
        QVERIFY(ContainerCgroup(m_cgroupVersion, QStringLiteral("/hamlet-test")).remove().ok());
    }

    void lifecycle_createStartExecKillDelete()
    {
        const QString id = uniqueId(QStringLiteral("life"));
        const QString bundle = makeBundle(id, {QStringLiteral("sleep"), QStringLiteral("3600")});
        const QString pidFile = bundle + QStringLiteral("/init.pid");
        const Status created = QCoro::waitFor(m_runtime->create(id, bundle, pidFile, {}, {}));
        QVERIFY2(created.ok(), created.ok() ? "" : qPrintable(created.error().message));
        QCOMPARE(QCoro::waitFor(m_runtime->state(id))->status, QStringLiteral("created"));
        QVERIFY(QCoro::waitFor(m_runtime->start(id)).ok());
        const auto running = QCoro::waitFor(m_runtime->state(id));
        QCOMPARE(running->status, QStringLiteral("running"));
        QVERIFY(running->pid > 0);
        // The limits of the spec are in the cgroup the runtime made.
        const auto stats = ContainerCgroup(m_cgroupVersion, QStringLiteral("/hamlet-test/") + id).stats();
        QVERIFY2(stats.ok(), stats.ok() ? "" : qPrintable(stats.error().message));
        QCOMPARE(stats->memoryLimit, std::optional<quint64>(67108864));
        QCOMPARE(stats->cpus, std::optional<double>(0.5));
        QCOMPARE(stats->pidsLimit, std::optional<quint64>(2048));
        QCOMPARE(stats->pids, 1ull);
        QCOMPARE(QFile(pidFile).open(QIODevice::ReadOnly), true);

        const auto hostname = QCoro::waitFor(m_runtime->exec(id, {QStringLiteral("hostname")}));
        QVERIFY2(hostname.ok(), hostname.ok() ? "" : qPrintable(hostname.error().message));
        QCOMPARE(hostname->output.trimmed(), id.toUtf8());
        const auto init
            = QCoro::waitFor(m_runtime->exec(id, {QStringLiteral("cat"), QStringLiteral("/proc/1/cmdline")}));
        QCOMPARE(init->output,
                 QByteArray("sleep\0"
                            "3600\0",
                            11));
        const auto exitThree = QCoro::waitFor(
            m_runtime->exec(id, {QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("exit 3")}));
        QVERIFY(exitThree.ok()); // the command's own status is not a runtime failure
        QCOMPARE(exitThree->exitCode, 3);

        const auto list = QCoro::waitFor(m_runtime->list());
        QVERIFY(list.ok());
        QVERIFY(std::any_of(list->cbegin(), list->cend(), [&](const RuntimeState &s) { return s.id == id; }));

        QVERIFY(QCoro::waitFor(m_runtime->pause(id)).ok());
        QCOMPARE(QCoro::waitFor(m_runtime->state(id))->status, QStringLiteral("paused"));
        QVERIFY(QCoro::waitFor(m_runtime->resume(id)).ok());
        QVERIFY(QCoro::waitFor(m_runtime->kill(id, SIGKILL)).ok());
        QTRY_COMPARE_WITH_TIMEOUT(QCoro::waitFor(m_runtime->state(id))->status, QStringLiteral("stopped"), 5000);
        QVERIFY(QCoro::waitFor(m_runtime->remove(id, false)).ok());
        const auto gone = QCoro::waitFor(m_runtime->state(id));
        QVERIFY(!gone.ok());
        QCOMPARE(gone.error().name, Hamlet::Error::NotFound);
        QCOMPARE(ContainerCgroup(m_cgroupVersion, QStringLiteral("/hamlet-test/") + id).existingDirectories(),
                 QStringList());
    }

    void create_missingCommandFailsWithTheRuntimesMessage()
    {
        const QString id = uniqueId(QStringLiteral("nocmd"));
        const QString bundle = makeBundle(id, {QStringLiteral("/no/such/command")});
        const Status created = QCoro::waitFor(m_runtime->create(id, bundle, bundle + QStringLiteral("/pid"), {}, {}));
        QVERIFY(!created.ok());
        QVERIFY2(created.error().message.contains(QStringLiteral("/no/such/command")),
                 qPrintable(created.error().message));
        QCoro::waitFor(m_runtime->remove(id, true));
    }

    void create_withoutTtyGivesTheContainerTheStdioAskedFor()
    {
        const QString id = uniqueId(QStringLiteral("stdio"));
        const QString bundle
            = makeBundle(id, {QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("echo out; echo err >&2")});
        QFile log(bundle + QStringLiteral("/container.log"));
        QVERIFY(log.open(QIODevice::ReadWrite));
        OciRuntime::Stdio stdio;
        stdio.out = stdio.err = log.handle();
        QVERIFY(QCoro::waitFor(m_runtime->create(id, bundle, bundle + QStringLiteral("/pid"), {}, stdio)).ok());
        QVERIFY(QCoro::waitFor(m_runtime->start(id)).ok());
        QTRY_COMPARE_WITH_TIMEOUT(QCoro::waitFor(m_runtime->state(id))->status, QStringLiteral("stopped"), 5000);
        log.seek(0);
        QCOMPARE(log.readAll(), QByteArray("out\nerr\n"));
        QVERIFY(QCoro::waitFor(m_runtime->remove(id, false)).ok());
    }

    void create_withTtySendsThePtyToTheConsoleSocket()
    {
        const QString id = uniqueId(QStringLiteral("tty"));
        const QString bundle = makeBundle(id, {QStringLiteral("/bin/sh")}, true);
        auto socket = ConsoleSocket::listen(bundle + QStringLiteral("/console.sock"));
        QVERIFY(socket.ok());
        QVERIFY(
            QCoro::waitFor(m_runtime->create(id, bundle, bundle + QStringLiteral("/pid"), socket->path(), {})).ok());
        auto master = socket->receiveMaster();
        QVERIFY2(master.ok(), master.ok() ? "" : qPrintable(master.error().message));
        QVERIFY(QCoro::waitFor(m_runtime->start(id)).ok());
        const QByteArray command = "echo h''i\n"; // the echo of the line itself reads "h''i"
        QCOMPARE(::write(master->get(), command.constData(), command.size()), command.size());
        QByteArray seen;
        QDeadlineTimer deadline(5000);
        while (!seen.contains("\nhi") && !deadline.hasExpired()) {
            pollfd waiting {master->get(), POLLIN, 0};
            if (::poll(&waiting, 1, 100) > 0) {
                char buffer[256];
                const ssize_t n = ::read(master->get(), buffer, sizeof buffer);
                if (n > 0)
                    seen.append(buffer, n);
            }
        }
        QVERIFY2(seen.contains("\nhi"), seen.constData());
        QVERIFY(QCoro::waitFor(m_runtime->remove(id, true)).ok());
    }

    void errorFromLog_picksTheErrorLines()
    {
        // (Not a raw string literal: moc cannot parse those.)
        const QByteArray log = "{\"level\":\"info\",\"msg\":\"starting\"}\n"
                               "{\"level\":\"error\",\"msg\":\"runc create failed: unable to start container process: "
                               "exec: \\\"nope\\\": executable file not found in $PATH\"}\n";
        QCOMPARE(OciRuntime::errorFromLog(log),
                 QStringLiteral("runc create failed: unable to start container process: exec: \"nope\": executable "
                                "file not found in $PATH"));
    }
};

QTEST_GUILESS_MAIN(TestOciRuntime)
#include "tst_ociruntime.moc"
