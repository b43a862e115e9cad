#include "helperservice.h"

#include "containerinstances.h"
#include "dbusnames.h"
#include "firstoutputwatch.h"
#include "idleexit.h"
#include "imageservice.h"
#include "instancesignals.h"
#include "logging.h"
#include "manager1adaptor.h"
#include "vminstances.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDBusConnectionInterface>
#include <QDir>

#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <thread>

namespace Hamlet {

namespace {
QDBusConnection connectBus(const QString &bus)
{
    if (bus == QStringLiteral("system"))
        return QDBusConnection::systemBus();
    return QDBusConnection::connectToBus(bus, QStringLiteral("hamlet-helper"));
}
} // namespace

HelperService::HelperService(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_bus(connectBus(m_options.bus))
{
    registerDBusTypes();
}

HelperService::~HelperService()
{
    // The event loop is over, and with it the orphan reaper: while libvirt winds down (a QEMU
    // capability probe may still run) it waits for QEMU processes that, the helper being their
    // subreaper, only go once reaped. Reap every zombie child until the backends are gone.
    std::atomic_bool done = false;
    std::thread reaper([&done] {
        while (!done) {
            while (::waitpid(-1, nullptr, WNOHANG) > 0) { }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
    const QList<InstanceBackend *> backends = m_registry.backends();
    qDeleteAll(backends);
    done = true;
    reaper.join();
}

bool HelperService::prepareDirectories()
{
    for (const QString &dir : {m_options.stateDir, m_options.runDir}) {
        if (!QDir().mkpath(dir)) {
            Log::helper()->critical("cannot create {}: check that the helper runs as root", dir);
            return false;
        }
        // STATE is searchable (not listable) by others: a container's root, an unprivileged host
        // id, reaches its rootfs through it. Everything else under it is kept private below.
        ::chmod(QFile::encodeName(dir).constData(), dir == m_options.stateDir ? 0711 : 0700);
    }
    // Made here, private, before the code that fills them makes them with the umask's 0755.
    for (const char *sub : {"vms", "network", "libvirt"})
        QDir().mkpath(m_options.stateDir + QLatin1Char('/') + QLatin1String(sub));
    keepStatePrivate();
    return true;
}

// With STATE 0711, the paths under it are reachable by anyone who can guess them (VM disks,
// history, consoles, network files): one private level (0700 directories, 0600 files) for every
// entry but containers/, whose bundles are 0710 to their own container's ids.
void HelperService::keepStatePrivate() const
{
    const QFileInfoList entries
        = QDir(m_options.stateDir).entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System);
    for (const QFileInfo &entry : entries) {
        if (entry.fileName() == QLatin1String("containers") || entry.isSymLink())
            continue;
        ::chmod(QFile::encodeName(entry.filePath()).constData(), entry.isDir() ? 0700 : 0600);
    }
}

QCoro::Task<bool> HelperService::start()
{
    if (!m_bus.isConnected()) {
        Log::helper()->critical("cannot connect to the {} bus: {}", m_options.bus, m_bus.lastError().message());
        co_return false;
    }
    if (!prepareDirectories())
        co_return false;

    const QString probeCache
        = m_options.probeCache.isEmpty() ? m_options.runDir + QStringLiteral("/kvm-probe") : m_options.probeCache;
    const Capabilities caps
        = HostProbe::probe({m_options.stateDir, m_options.runtime, m_options.libvirtUri, probeCache});
    Log::helper()->info("host: {}", caps.summary());
    for (const QString &diagnosis : caps.diagnoses())
        Log::helper()->warn("{}", diagnosis);

    m_authorizer = std::make_unique<Authorizer>(m_bus);
    m_gate = std::make_unique<CallGate>(m_bus, *m_authorizer);
    m_subscriptions = std::make_unique<Subscriptions>(m_bus);
    if (m_options.recordHistory)
        m_history = std::make_unique<History::Recorder>(m_options.stateDir + QStringLiteral("/history.sqlite"));
    m_sampler = std::make_unique<Sampler>(m_bus, *m_subscriptions, m_registry, m_history.get());
    m_jobs = new JobObjects(m_bus, *m_gate, this);
    m_instances = new InstanceObjects(m_bus, *m_gate, m_registry, this);
    new InstanceSignals(m_bus, m_registry, *m_subscriptions, this);
    m_manager = new Manager(m_bus, *m_gate, caps, m_registry, *m_jobs, *m_subscriptions, this);
    m_manager->setHistory(m_history.get());
    // A deleted instance's history goes with it.
    if (m_history)
        connect(&m_registry, &InstanceRegistry::removed, m_history.get(), &History::Recorder::forget);
    // Before the backends recover: autostart containers need their network.
    m_network = new Network::Network({m_options.stateDir + QStringLiteral("/network"),
                                      m_options.runDir + QStringLiteral("/netns"), m_options.networkBridge,
                                      m_options.networkPool},
                                     this);
    co_await m_network->initialize();
    createBackends(caps);
    // After the backends: it listens to their starts.
    m_instances->setMeasurements(new FirstOutputWatch(m_options.stateDir, m_registry, this), m_options.stateDir);
    co_await recoverInstances();
    QStringList known; // the history of instances that are gone (deleted by hand) goes too
    for (const InstanceSummary &instance : m_registry.summaries())
        known << instance.name;
    if (m_history)
        m_history->keepOnly(known);
    if (!exportObjects())
        co_return false;

    // The name comes last: D-Bus activation and clients wait until everything above is ready.
    const auto reply = m_bus.interface()->registerService(Bus::ServiceName, QDBusConnectionInterface::DontQueueService,
                                                          QDBusConnectionInterface::DontAllowReplacement);
    if (!reply.isValid() || reply.value() != QDBusConnectionInterface::ServiceRegistered) {
        Log::helper()->critical("cannot own {} on the bus ({}): is another helper running, and is the bus "
                                "policy dev.hamlet.Helper1.conf installed?",
                                Bus::ServiceName, reply.error().message());
        co_return false;
    }
    Log::helper()->info("serving {} on the {} bus", Bus::ServiceName, m_options.bus);
    keepStatePrivate(); // what start-up made: the history database, libvirt's files
    startIdleExit();
    co_return true;
}

void HelperService::startIdleExit()
{
    if (m_options.exitWhenIdle.count() <= 0)
        return;
    const auto busy = [this] {
        for (const InstanceSummary &instance : m_registry.summaries()) {
            if (instance.state != QLatin1String("stopped") && instance.state != QLatin1String("failed"))
                return IdleExit::Busy::UntilAChange;
        }
        if (!m_subscriptions->isEmpty())
            return IdleExit::Busy::UntilAChange;
        if (m_gate->callsInFlight() > 0 || m_jobs->anyRunning())
            return IdleExit::Busy::ForAWhile;
        return IdleExit::Busy::No;
    };
    auto *idleExit = new IdleExit(m_options.exitWhenIdle, busy, this);
    m_gate->setOnActivity([idleExit] { idleExit->poke(); });
    connect(&m_registry, &InstanceRegistry::added, idleExit, &IdleExit::poke);
    connect(&m_registry, &InstanceRegistry::removed, idleExit, &IdleExit::poke);
    connect(&m_registry, &InstanceRegistry::changed, idleExit, &IdleExit::poke);
    connect(m_subscriptions.get(), &Subscriptions::changed, idleExit, &IdleExit::poke);
    connect(idleExit, &IdleExit::idle, this, [this] {
        Log::helper()->info(
            "nothing to do for {} s: exiting (D-Bus activation starts the helper again on the next call)",
            std::chrono::duration_cast<std::chrono::seconds>(m_options.exitWhenIdle).count());
        QCoreApplication::quit();
    });
    idleExit->poke();
}

void HelperService::createBackends(const Capabilities &caps)
{
    ContainerInstances *containers = nullptr;
    ImageService *images = nullptr;
    if (caps.runtime.isEmpty()) {
        Log::containers()->error("no OCI runtime: containers are unavailable (install 'runc')");
    } else {
        Containers::ContainerBackend::Options options;
        options.stateDir = m_options.stateDir;
        options.runDir = m_options.runDir;
        options.runtime = caps.runtime;
        options.runtimeTimeout = m_options.runtimeTimeout;
        options.cgroupVersion = caps.cgroupVersion;
        options.hostCpus = caps.hostCpus;
        options.subidDir = m_options.subidDir;
        if (!caps.busybox.isEmpty())
            options.busybox = caps.busybox;
        if (m_options.maxLayerBytes > 0)
            options.maxLayerBytes = m_options.maxLayerBytes;
        // Being the subreaper makes every daemonized QEMU of the embedded libvirt our child: a
        // zombie left for long makes libvirt wait for a process it killed (tens of seconds per
        // probe or stop). Half a second, twice, is still far longer than any owner takes to reap.
        options.orphanReapInterval = std::chrono::milliseconds(500);
        // Cgroups are host-wide: a helper with another state dir (tests, a second instance) gets
        // its own parent, so that cleaning up its orphans never touches the system helper's.
        if (QDir(m_options.stateDir).canonicalPath() != QStringLiteral("/var/lib/hamlet"))
            options.cgroupParent = QStringLiteral("/hamlet-%1")
                                       .arg(QString::fromLatin1(QCryptographicHash::hash(m_options.stateDir.toUtf8(),
                                                                                         QCryptographicHash::Sha256)
                                                                    .toHex()
                                                                    .left(12)));
        options.network = m_network;
        containers = new ContainerInstances(options, this);
        containers->setAuthorizer(m_authorizer.get());
        m_registry.addBackend(containers);
        images = new ImageService(&containers->backend(), *m_jobs, this);
        m_manager->setImageService(images);
    }

    Vms::VmBackend::Options vmOptions;
    vmOptions.stateDir = m_options.stateDir;
    vmOptions.accelerator = caps.virtualization == QLatin1String("kvm") ? Vms::Accelerator::Kvm : Vms::Accelerator::Tcg;
    vmOptions.hostKernel = caps.kernel;
    vmOptions.busybox = caps.busybox;
    vmOptions.hostCpus = caps.hostCpus;
    vmOptions.hostMemoryBytes = caps.hostMemory;
    // Beside RUN, not in it: QEMU's user (libvirt-qemu under the system libvirtd) must reach the
    // staged kernels and initrds, and RUN and STATE stay 0700.
    vmOptions.guestFilesDir = m_options.runDir + QStringLiteral("-vmfiles");
    auto *vms = new VmInstances(caps.libvirtUri, vmOptions, this);
    vms->setNetwork(m_network);
    vms->setAuthorizer(m_authorizer.get());
    m_registry.addBackend(vms);
    if (containers) { // VMs of an image (source=image) use the store
        vms->setImages(&containers->backend());
        images->setVmHooks([vms](const QString &digest) { return vms->vmsUsing(digest); },
                           [vms](const QString &digest) { vms->dropImageDisk(digest); });
    }
    if (caps.runtime.isEmpty())
        m_manager->setImageService(new ImageService(nullptr, *m_jobs, this));
}

QCoro::Task<> HelperService::recoverInstances()
{
    for (InstanceBackend *backend : m_registry.backends()) {
        const QList<InstanceInfo> found = co_await backend->recover();
        for (const InstanceInfo &info : found)
            m_registry.add(info);
        Log::helper()->info("{} {}(s) found again", found.size(), backend->kind());
    }
}

bool HelperService::exportObjects()
{
    new Manager1Adaptor(m_manager);
    if (!m_bus.registerObject(Bus::ManagerPath, m_manager)
        || !m_bus.registerVirtualObject(m_instances->rootPath(), m_instances, QDBusConnection::SubPath)
        || !m_bus.registerVirtualObject(m_jobs->rootPath(), m_jobs, QDBusConnection::SubPath)) {
        Log::helper()->critical("cannot export the helper's objects: {}", m_bus.lastError().message());
        return false;
    }
    return true;
}

} // namespace Hamlet
