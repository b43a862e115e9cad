#pragma once

#include "cgroups.h"
#include "containerrecord.h"
#include "fsutil.h"
#include "imagestore.h"
#include "network.h"
#include "ociconfig.h"
#include "ociruntime.h"
#include "orphanreaper.h"
#include "result.h"

#include <QHash>
#include <QObject>
#include <QTimer>
#include <QVariantMap>

#include <QCoro/QCoroTask>
#include <chrono>
#include <map>
#include <memory>
#include <optional>

namespace Hamlet::Containers {

class ExitWatcher;

// A container as the bus shows it.
struct ContainerInfo {
    ContainerSpec spec;
    ContainerState state = ContainerState::Stopped;
    int exitCode = -1;
    QString error;
    QDateTime createdAt;
    QDateTime startedAt;
    QDateTime finishedAt;
    int restartCount = 0; // the restart policy's restarts in a row, the first and last of them
    QDateTime firstRestartAt;
    QDateTime lastRestartAt;
    qint64 pid = 0; // init, in the host's pid namespace; 0 unless running or paused
    QString bundle;
    QString cgroupsPath;
};

// The containers of the helper: each one an OCI bundle (STATE/containers/NAME) whose rootfs is an
// overlay of its image's layers, run by the OCI runtime, recorded in STATE/instances/NAME.json.
// Its rule: one operation at a time per container (another gets Busy), every state change is
// persisted before it is announced, and a failure leaves no half-made container (a container
// whose process could not start stays visible as "failed", with the runtime's message, until
// deleted). Exits are seen through a pidfd, with the exit code, because initialize() makes the
// helper a child subreaper. Slow work (unpacking) runs on a worker thread; the rest awaits
// processes, so the event loop never blocks.
class ContainerBackend : public QObject
{
    Q_OBJECT
public:
    struct Options {
        QString stateDir; // STATE: images/, containers/, instances/
        QString runDir; // RUN: runc/ (the runtime's state), console/
        QString runtime; // the OCI runtime binary (HostProbe::chooseRuntime or --runtime)
        QString cgroupVersion; // HostProbe::cgroupVersion()
        uint hostCpus = 1;
        QString busybox = QStringLiteral("/bin/busybox"); // for the built-in image
        QString cgroupParent = QStringLiteral("/hamlet"); // containers get PARENT/NAME
        std::chrono::milliseconds stopTimeout = std::chrono::seconds(10); // SIGTERM -> SIGKILL
        std::chrono::milliseconds runtimeTimeout = std::chrono::seconds(60); // a hung runtime is killed
        qint64 logLimitBytes = qint64(1024) * 1024;
        std::chrono::milliseconds orphanReapInterval = std::chrono::seconds(10);
        // What one layer may unpack to, and the largest blob an import accepts (bombs, full disks).
        quint64 maxLayerBytes = LayerExtractor::Limits {}.maxBytes;
        // The Hamlet network for "nat" containers (owned by the helper); none: "nat" is refused.
        Network::Network *network = nullptr;
        // Where the subuid and subgid files with the helper's "hamlet" id range are (tests give
        // each helper a private copy, so parallel helpers never hand out the same ids).
        QString subidDir = QStringLiteral("/etc");
    };

    explicit ContainerBackend(Options options, QObject *parent = nullptr);
    ~ContainerBackend() override;

    // Call once before anything else: becomes child subreaper, prepares the directories and the
    // image store, reconciles the records with the runtime (running ones are watched again,
    // half-created ones removed, their mounts and cgroups too), then starts autostart ones.
    QCoro::Task<Status> initialize();

    ImageStore &imageStore() { return m_images; }
    const Options &options() const { return m_options; }
    QStringList names() const;
    // The containers created from the image with this manifest digest.
    QStringList containersUsing(const QString &manifestDigest) const;
    std::optional<ContainerInfo> info(const QString &name) const;

    // Validates a CreateContainer request completely (name, spec, Exists, unknown image)
    // without changing anything.
    Result<ContainerSpec> validate(const QString &name, const QVariantMap &spec) const;
    // Creates and starts. Errors: Exists, InvalidArgument (unknown image, nothing to run),
    // Busy, Failed (with the runtime's message; the container then stays as "failed").
    QCoro::Task<Status> create(ContainerSpec spec);
    QCoro::Task<Status> start(QString name);
    // SIGTERM, then SIGKILL after stopTimeout; force: SIGKILL at once.
    QCoro::Task<Status> stop(QString name, bool force);
    QCoro::Task<Status> restart(QString name);
    QCoro::Task<Status> pause(QString name);
    QCoro::Task<Status> resume(QString name);
    // Kills it if running, then removes the runtime's container, the mount, the cgroup, the
    // bundle with its upper dir, and the record. NotFound for an unknown name.
    QCoro::Task<Status> remove(QString name);
    // Runs argv in the running container, without a terminal.
    QCoro::Task<Result<ExecResult>> exec(QString name, QStringList argv);
    // containerexec.cpp: starts argv in the running container on a new pty, as the container's
    // own process runs (its user, env, cwd, caps, no_new_privs; its namespaces, cgroup and
    // seccomp), sized rows x cols when given. Its end comes as execExited, with the exit code.
    struct TerminalSession {
        UniqueFd master;
        qint64 pid = 0;
    };
    QCoro::Task<Result<TerminalSession>> execTerminal(QString name, QStringList argv, int rows, int cols);

    // The store's name of an image reference as CreateContainer resolves it ("alpine" finds
    // "docker.io/library/alpine:latest"), or InvalidArgument naming what to do.
    Result<QString> resolveImage(const QString &reference) const;
    // The image (the built-in busybox made when missing) with its layers unpacked, for a VM of it
    // (source=image). Layer directories bottom first.
    struct PreparedImage {
        ImageInfo image;
        QStringList layersBottomFirst;
    };
    QCoro::Task<Result<PreparedImage>> prepareImage(QString name);

    // RemoveImage: refused (Busy) while a container uses the image; then drops its blobs and
    // unpacked layers that no other image or container needs (on a worker thread).
    QCoro::Task<Status> removeImage(QString image);

    // Applies live to a running container and is kept for its next start.
    Status setLimits(const QString &name, const ContainerLimits &limits);
    // The published ports of a stopped container (checked by the caller), used from its next start.
    Status setPorts(const QString &name, const QList<Network::PortMapping> &ports);
    // Cumulative counters for the sampler; cheap (a few small file reads, no process).
    Result<CgroupStats> stats(const QString &name) const;
    // The counters only (CPU, memory, pids), for each sampler tick.
    Result<CgroupStats> counters(const QString &name) const;
    // A new fd of the pty master of a running tty container (the caller owns it).
    Result<UniqueFd> openConsole(const QString &name) const;
    // Where the output of a container without a tty goes (size-capped).
    QString logPath(const QString &name) const;
    // The "container parts": pid, namespaces vs the host's, cgroup and limits read back, rootfs
    // layers, runtime, capabilities and seccomp mode in force.
    Result<QVariantMap> inspect(const QString &name) const;
    // containernetwork.cpp: bytes received and sent by a running NAT container (its veth), and
    // the addresses it has ("10.90.0.5"); nothing for other modes.
    std::optional<Network::NetCounters> netCounters(const QString &name) const;
    QStringList addresses(const QString &name) const;

Q_SIGNALS:
    void containerAdded(const QString &name);
    void containerRemoved(const QString &name);
    // state: "creating", "running", "paused", "stopped", "failed"; exitCode as in ContainerRecord.
    void stateChanged(const QString &name, const QString &state, int exitCode);
    // A process started by execTerminal ended: exitCode as in ContainerRecord (-1 unknown).
    void execExited(const QString &name, qint64 pid, int exitCode);

private:
    struct Container {
        ContainerRecord record;
        qint64 pid = 0;
        ExitWatcher *watcher = nullptr;
        UniqueFd consoleMaster;
        bool busy = false;
        bool releasing = false; // releaseRuntime() runs
        std::chrono::milliseconds restartDelay {0}; // the last back-off (restartBackoff)
        quint64 restartToken = 0; // a pending restart runs only while this is unchanged
    };
    // Marks a container busy for the length of one operation.
    class BusyGuard
    {
    public:
        explicit BusyGuard(Container &container)
            : m_container(container)
        {
            m_container.busy = true;
        }
        ~BusyGuard() { m_container.busy = false; }
        BusyGuard(const BusyGuard &) = delete;
        BusyGuard &operator=(const BusyGuard &) = delete;

    private:
        Container &m_container;
    };

    Container *find(const QString &name) const;
    QString bundlePath(const QString &name) const;
    QString recordPath(const QString &name) const;
    QString cgroupsPath(const QString &name) const;
    ContainerCgroup cgroupOf(const QString &name) const;
    // Moves to a state, persists, announces.
    void setState(Container &container, ContainerState state, int exitCode = -1, const QString &error = {});

    // Mount, config.json, runtime create + start, watch. On failure undoes what it did.
    QCoro::Task<Status> launch(Container &container);
    QCoro::Task<Status> waitForExit(QString name, std::chrono::milliseconds timeout);
    void watchExit(Container &container, qint64 pid);
    void onExited(const QString &name, int exitCode);
    QCoro::Task<> releaseRuntime(QString name);
    QCoro::Task<Container *> settled(QString name);
    void enforceLogLimits();

    // containerrestart.cpp: after the process ended (exitCode) by itself, or a restart could not
    // launch it (launchError): "stopped", "failed" once on-failure:N gave up, or "restarting"
    // with a restart scheduled after the back-off. A person's Stop is never undone.
    void settleExit(Container &container, int exitCode, const QString &launchError = {});
    QCoro::Task<> restartLater(QString name, quint64 token, std::chrono::milliseconds delay);
    // At helper start: policies apply to containers that ended while the helper was away.
    void applyRestartPoliciesAtStart();
    // A person started or stopped it: the count starts again and a pending restart is dropped.
    static void resetRestarts(Container &container);

    // containernetwork.cpp: attaches a "nat" container (namespace, address, ports, names) and
    // writes its /etc/hosts and resolv.conf; fills the facts config.json needs.
    QCoro::Task<Status> prepareNetwork(Container &container, OciConfig::HostFacts &facts);
    QCoro::Task<> releaseNetwork(QString name);
    // Where the user namespace of a "nat" container with an id range is pinned (its network
    // namespace, owned by it, is the network's).
    QString usernsPath(const QString &name) const;
    QVariantMap networkParts(const QString &name) const;

    // containeruserns.cpp: the ids of containers with a user namespace of their own. The pool is
    // read (or reserved) once at start; a failure there leaves userns "auto" refused with why.
    void reserveIdPool();
    Result<IdRange> allocateIds() const;
    // The overlay rootfs, its layers idmapped for a container with an id range.
    Status mountRootfs(const Container &container) const;
    QVariantMap userParts(const Container &container) const;

    // containerreconcile.cpp
    QCoro::Task<> ensureBuiltInImage();
    QCoro::Task<> sweepImageStore();
    QCoro::Task<> reconcile();
    QCoro::Task<> removeOrphan(QString name);

    Options m_options;
    QHash<qint64, QString> m_execs; // pid -> container, of execTerminal's processes still running
    ImageStore m_images;
    OciRuntime m_runtime;
    std::map<QString, std::unique_ptr<Container>> m_containers;
    QTimer m_logTimer;
    OrphanReaper m_reaper;
    Result<IdRange> m_idPool = failed(QStringLiteral("the helper's id range was not read yet"));
};

} // namespace Hamlet::Containers
