#include "vminstances.h"

#include "errors.h"
#include "freespace.h"
#include "job.h"
#include "logging.h"
#include "oomscore.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>

#include <QCoro/QCoroProcess>
#include <cstdlib>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Hamlet {

namespace {
const QStringList FileKeys {QStringLiteral("iso"), QStringLiteral("disk"), QStringLiteral("kernel"),
                            QStringLiteral("initrd")};

template <typename T> Outcome outcomeOf(const Vms::Result<T> &result)
{
    if (result.ok())
        return std::nullopt;
    return result.error();
}

qulonglong now()
{
    return static_cast<qulonglong>(QDateTime::currentMSecsSinceEpoch());
}

// The file an fd the caller opened refers to, as a path QEMU can open. The fd's access mode is the
// proof of what the caller may do: read for a kernel, initrd or ISO, read and write for a disk the
// VM will write (an O_PATH fd proves nothing). The path must still name the same file.
Expected<QString> pathOfDescriptor(const QString &key, const QDBusUnixFileDescriptor &descriptor, bool needsWrite)
{
    const int fd = descriptor.fileDescriptor();
    struct stat opened {
    };
    if (fd < 0 || ::fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode))
        return ErrorReply {Error::InvalidArgument, QStringLiteral("The %1 must be a regular file.").arg(key)};
    const int flags = ::fcntl(fd, F_GETFL);
    const int access = flags & O_ACCMODE;
    if (flags < 0 || (flags & O_PATH) || (needsWrite ? access != O_RDWR : access == O_WRONLY))
        return ErrorReply {
            Error::InvalidArgument,
            needsWrite ? QStringLiteral("The %1 must be opened for reading and writing: the VM writes it.").arg(key)
                       : QStringLiteral("The %1 must be opened for reading.").arg(key)};
    const QString path = QFile::symLinkTarget(QStringLiteral("/proc/self/fd/%1").arg(fd));
    struct stat named {
    };
    if (path.isEmpty() || ::stat(QFile::encodeName(path).constData(), &named) != 0 || named.st_dev != opened.st_dev
        || named.st_ino != opened.st_ino)
        return ErrorReply {
            Error::InvalidArgument,
            QStringLiteral("The %1 file passed has no path the VM could use (deleted or moved?).").arg(key)};
    return path;
}

// Whether the caller itself may read (and, for a disk, write) a path, asked as the caller:
// setpriv with its uid, primary group and supplementary groups.
QCoro::Task<bool> callerMay(uint uid, QString path, bool needsWrite)
{
    const passwd *account = ::getpwuid(uid);
    if (!account)
        co_return false;
    QProcess check;
    check.start(QStringLiteral("setpriv"),
                {QStringLiteral("--reuid=%1").arg(uid), QStringLiteral("--regid=%1").arg(account->pw_gid),
                 QStringLiteral("--init-groups"), QStringLiteral("--"), QStringLiteral("test"),
                 needsWrite ? QStringLiteral("-w") : QStringLiteral("-r"), path});
    auto checking = qCoro(check); // named: GCC 12 destroys temporaries in co_await twice
    const bool finished = co_await checking.waitForFinished();
    co_return finished &&check.exitStatus() == QProcess::NormalExit &&check.exitCode() == 0;
}
} // namespace

VmInstances::VmInstances(const QString &libvirtUri, Vms::VmBackend::Options options, QObject *parent)
    : InstanceBackend(parent)
    , m_connection(libvirtUri)
    , m_backend(m_connection, std::move(options))
{
    connect(&m_backend, &Vms::VmBackend::stateChanged, this,
            [this](const QString &name, const QString &state) { setState(name, state); });
}

void VmInstances::setState(const QString &name, const QString &reported)
{
    const auto it = m_known.find(name);
    if (it == m_known.end())
        return;
    // An image VM that powered off says why in its console: its program ended (exit status) or
    // could not be run (failed, with the init's reason).
    QString state = reported;
    const ImageVmOutcome outcome = reported == QLatin1String("stopped") ? imageOutcome(*it) : ImageVmOutcome {};
    if (!outcome.failure.isEmpty())
        state = QStringLiteral("failed");
    const QString error = state == QLatin1String("running") ? QString() : outcome.failure;
    if (it->state == state && it->error == error && it->exitCode == outcome.exitCode)
        return;
    const bool started = state == QLatin1String("running") && it->state != QLatin1String("paused");
    it->state = state;
    it->error = error;
    it->exitCode = outcome.exitCode;
    if (started) {
        it->startedAtMs = now();
        relaxOomScoreOf(name); // runs on
    }
    Q_EMIT stateChanged(name, state, outcome.exitCode, started ? it->startedAtMs : 0);
}

std::optional<InstanceInfo> VmInstances::find(const QString &name) const
{
    const auto it = m_known.constFind(name);
    if (it == m_known.cend())
        return std::nullopt;
    InstanceInfo info = *it;
    // The reserved address is the VM's while it runs (it asks dnsmasq for it at boot).
    if (m_network && info.state == QLatin1String("running")) {
        if (const std::optional<Network::Attachment> attachment = m_network->attachment(name);
            attachment && attachment->kind == QLatin1String("vm") && !attachment->address.isEmpty())
            info.addresses = QStringList {attachment->address};
    }
    return info;
}

QCoro::Task<InstanceInfo> VmInstances::describe(QString name, QString state)
{
    InstanceInfo info {name, QStringLiteral("vm"), state, -1, {}, 0, 0, {}};
    const Vms::Result<QVariantMap> parts = co_await m_backend.inspect(name);
    if (parts.ok()) {
        for (const char *key : {"source", "memory", "vcpus", "osVariant", "accelerator", "network"})
            info.spec.insert(QString::fromLatin1(key), parts.value().value(QString::fromLatin1(key)));
        for (const char *key : {"image", "imageDigest"}) // image VMs only
            if (parts.value().contains(QString::fromLatin1(key)))
                info.spec.insert(QString::fromLatin1(key), parts.value().value(QString::fromLatin1(key)));
        if (const qint64 pid = parts.value().value(QStringLiteral("pid")).toLongLong(); pid > 0)
            relaxOomScore(pid);
        if (parts.value().contains(QStringLiteral("ownerUid")))
            info.ownerUid = parts.value().value(QStringLiteral("ownerUid")).toUInt();
    }
    QList<QVariantMap> ports; // aa{sv} on the bus, as a container's; kept by the network
    for (const Network::PortMapping &port : portsOf(name))
        ports << port.toVariantMap();
    info.spec.insert(QStringLiteral("ports"), QVariant::fromValue(ports));
    if (state == QLatin1String("running"))
        info.startedAtMs = now();
    if (const ImageVmOutcome outcome = state == QLatin1String("stopped") ? imageOutcome(info) : ImageVmOutcome {};
        !outcome.failure.isEmpty() || outcome.exitCode >= 0) {
        info.state = outcome.failure.isEmpty() ? state : QStringLiteral("failed");
        info.error = outcome.failure;
        info.exitCode = outcome.exitCode;
    }
    co_return info;
}

void VmInstances::relaxOomScore(qint64 qemuPid)
{
    if (const QString problem = resetOomScoreAdj(qemuPid); !problem.isEmpty())
        Log::vms()->warn("QEMU keeps the helper's OOM score adjustment: {}", problem);
}

QCoro::Task<> VmInstances::relaxOomScoreOf(QString name)
{
    const Vms::Result<QVariantMap> parts = co_await m_backend.inspect(name);
    if (parts.ok() && parts.value().value(QStringLiteral("pid")).toLongLong() > 0)
        relaxOomScore(parts.value().value(QStringLiteral("pid")).toLongLong());
}

QCoro::Task<QList<InstanceInfo>> VmInstances::recover()
{
    QList<InstanceInfo> found;
    const Vms::Result<void> opened = co_await m_connection.open();
    if (!opened.ok()) {
        Log::vms()->error("libvirt is not reachable yet ({}); retrying in the background", opened.error().message);
        co_return found;
    }
    warmUp(); // runs on in the background
    const Vms::Result<QList<Vms::VmBackend::VmInfo>> listed = co_await m_backend.list();
    if (!listed.ok()) {
        Log::vms()->error("cannot list the VMs: {}", listed.error().message);
        co_return found;
    }
    co_await m_backend.autostart(); // before the states below are read
    const Vms::Result<QList<Vms::VmBackend::VmInfo>> relisted = co_await m_backend.list();
    for (const Vms::VmBackend::VmInfo &vm : relisted.ok() ? relisted.value() : listed.value()) {
        if (vm.source.isEmpty())
            continue; // a domain Hamlet did not create
        const InstanceInfo info = co_await describe(vm.name, vm.state);
        m_known.insert(vm.name, info);
        found << info;
    }
    // A reservation lives as long as its VM is defined (its address survives stops); those of
    // VMs deleted while the helper was away go.
    if (m_network) {
        QSet<QString> defined;
        for (const Vms::VmBackend::VmInfo &vm : relisted.ok() ? relisted.value() : listed.value())
            defined.insert(vm.name);
        co_await m_network->reconcile(QStringLiteral("vm"), defined);
    }
    co_return found;
}

QCoro::Task<> VmInstances::warmUp()
{
    // libvirt probes QEMU's capabilities the first time a domain is defined under a new root,
    // which takes seconds (tens under load, with TCG). Asking for them now, off the Qt thread,
    // moves that wait from the person's first "New VM" to the helper's start.
    const QString virtType
        = m_backend.options().accelerator == Vms::Accelerator::Kvm ? QStringLiteral("kvm") : QStringLiteral("qemu");
    std::function<Vms::Result<bool>(virConnectPtr)> probe = [virtType](virConnectPtr connection) {
        char *xml
            = virConnectGetDomainCapabilities(connection, nullptr, "x86_64", nullptr, virtType.toUtf8().constData(), 0);
        const bool ok = xml != nullptr;
        free(xml);
        return Vms::Result<bool>(ok);
    };
    QElapsedTimer timer;
    timer.start();
    const Vms::Result<bool> probed = co_await m_connection.run<bool>(std::move(probe));
    Log::vms()->info("QEMU capabilities {} in {} ms", probed.ok() && probed.value() ? "known" : "not known",
                     timer.elapsed());
}

QCoro::Task<Expected<Vms::VmSpec>> VmInstances::specFor(QString name, QVariantMap map, Caller caller)
{
    if (!map.contains(QStringLiteral("source")))
        map.insert(QStringLiteral("source"), QStringLiteral("tiny"));
    // As for containers, a new VM is on the Hamlet network unless it asks otherwise.
    if (!map.contains(QStringLiteral("network")))
        map.insert(QStringLiteral("network"), QStringLiteral("nat"));
    const Expected<QList<Network::PortMapping>> ports = takePorts(map);
    if (!ports.ok())
        co_return ports.error();
    if (!ports.value().isEmpty() && map.value(QStringLiteral("network")) != QLatin1String("nat"))
        co_return ErrorReply {Error::InvalidArgument,
                              QStringLiteral("Ports can be published only on the \"nat\" network, not with network "
                                             "\"%1\".")
                                  .arg(map.value(QStringLiteral("network")).toString())};
    for (const QString &key : FileKeys) {
        const QVariant value = map.value(key);
        const bool needsWrite = key == QLatin1String("disk");
        if (value.userType() == qMetaTypeId<QDBusUnixFileDescriptor>()) {
            const Expected<QString> path = pathOfDescriptor(key, value.value<QDBusUnixFileDescriptor>(), needsWrite);
            if (!path.ok())
                co_return path.error();
            map.insert(key, path.value());
        } else if (!value.toString().isEmpty() && caller.uid != 0) {
            // A path: the caller must be able to use it itself; the helper opens it as root.
            const bool allowed = co_await callerMay(caller.uid, value.toString(), needsWrite);
            if (!allowed)
                co_return ErrorReply {
                    Error::InvalidArgument,
                    QStringLiteral("You cannot %1 the %2 file %3: the helper only uses files their "
                                   "owner lets you use that way.")
                        .arg(needsWrite ? QStringLiteral("write") : QStringLiteral("read"), key, value.toString())};
        }
    }
    Vms::Result<Vms::VmSpec> spec = Vms::vmSpecFromVariantMap(name, map, m_backend.options().accelerator);
    if (!spec.ok())
        co_return spec.error();
    spec.value().ownerUid = caller.uid; // its files are opened as this uid at every start
    if (spec.value().source == Vms::VmSource::Image) {
        const Expected<QString> image = resolveImage(spec.value().image);
        if (!image.ok())
            co_return image.error();
        spec.value().image = image.value();
    }
    if (spec.value().network == Vms::VmNetwork::Nat) {
        if (!m_network || !m_network->available())
            co_return ErrorReply {Error::Unsupported,
                                  QStringLiteral("The Hamlet network is unavailable on this host (%1): create the VM "
                                                 "with network \"user\" or \"none\".")
                                      .arg(m_network ? m_network->unavailableReason() : QStringLiteral("not set up"))};
        spec.value().bridge = m_network->bridge();
    }
    if (const std::optional<ErrorReply> problem = m_backend.problemWith(spec.value()))
        co_return *problem;
    // The new disk is sparse, but the guest may fill it: it must fit where it is made.
    if (spec.value().source == Vms::VmSource::Iso) {
        const QString disks = m_backend.options().stateDir + QStringLiteral("/vms/disks");
        if (const QString full = Containers::notEnoughSpace(disks, spec.value().diskSizeBytes); !full.isEmpty())
            co_return ErrorReply {
                Error::InvalidArgument,
                QStringLiteral("diskSize %1 is too large: %2").arg(Vms::humanBytes(spec.value().diskSizeBytes), full)};
    }
    co_return spec.value();
}

QCoro::Task<Outcome> VmInstances::validate(QString name, QVariantMap spec, Caller caller)
{
    const Expected<Vms::VmSpec> checked = co_await specFor(name, spec, caller);
    if (!checked.ok())
        co_return checked.error();
    const Expected<QList<Network::PortMapping>> ports = takePorts(spec);
    const QString action = QStringLiteral("dev.hamlet.create"); // named: see callerMay
    const QString verb = QStringLiteral("CreateVm");
    co_return co_await portsProblem(name, ports.value(), caller, action, verb);
}

QCoro::Task<Expected<InstanceInfo>> VmInstances::create(QString name, QVariantMap spec, Caller caller, Job *job)
{
    const Expected<Vms::VmSpec> checked = co_await specFor(name, spec, caller);
    if (!checked.ok())
        co_return checked.error();
    if (job->isCancelled())
        co_return ErrorReply {Error::Failed, QStringLiteral("Creating %1 was cancelled.").arg(name)};
    job->setFraction(0.1);
    Vms::VmSpec vm = checked.value();
    if (vm.source == Vms::VmSource::Image) {
        if (const Outcome problem = co_await resolveImageRun(vm))
            co_return *problem;
    }
    if (vm.network == Vms::VmNetwork::Nat) {
        // The MAC and its address before the domain: the definition names the MAC, and the
        // reservation must be in dnsmasq before the guest asks for it.
        const QList<Network::PortMapping> ports = takePorts(spec).value(); // checked in specFor
        const Containers::Result<Network::Attachment> reserved
            = co_await m_network->attachVm(name, m_network->newVmMac(), ports);
        if (!reserved)
            co_return reserved.error();
        vm.mac = reserved->mac;
    }
    announceStart(name, vm.source == Vms::VmSource::Image ? QStringLiteral("image") : QString(), true);
    const Vms::Result<void> created = co_await m_backend.create(vm); // owned by caller.uid
    if (!created.ok()) {
        if (vm.network == Vms::VmNetwork::Nat)
            co_await m_network->detach(name);
        co_return created.error();
    }
    if (job->isCancelled()) { // too late to stop the create: undo it
        co_await m_backend.remove(name);
        if (vm.network == Vms::VmNetwork::Nat)
            co_await m_network->detach(name);
        co_return ErrorReply {Error::Failed, QStringLiteral("Creating %1 was cancelled.").arg(name)};
    }
    const QString running = QStringLiteral("running"); // named: see callerMay
    InstanceInfo info = co_await describe(name, running);
    info.createdAtMs = now();
    m_known.insert(name, info);
    co_return info;
}

QCoro::Task<Outcome> VmInstances::start(QString name)
{
    // Its DNAT rules stay while it is stopped, but a program may have bound a published host
    // port since (as for a container): that start would not reach the VM.
    if (const QList<Network::PortMapping> ports = portsOf(name); !ports.isEmpty()
        && m_known.value(name).state != QLatin1String("running")
        && m_known.value(name).state != QLatin1String("paused")) {
        if (const Containers::Status free = Network::checkHostPortsFree(ports); !free.ok())
            co_return free.error();
    }
    if (const auto it = m_known.constFind(name);
        it != m_known.cend() && it->state != QLatin1String("running") && it->state != QLatin1String("paused"))
        announceStart(name, it->spec.value(QStringLiteral("source")).toString(), false);
    const Vms::Result<void> result = co_await m_backend.start(name);
    if (result.ok())
        setState(name, QStringLiteral("running"));
    co_return outcomeOf(result);
}

QCoro::Task<Outcome> VmInstances::stop(QString name, bool force)
{
    const Vms::Result<void> result = co_await m_backend.stop(name, force);
    if (result.ok())
        setState(name, QStringLiteral("stopped"));
    co_return outcomeOf(result);
}

QCoro::Task<Outcome> VmInstances::pause(QString name)
{
    const Vms::Result<void> result = co_await m_backend.pause(name);
    if (result.ok())
        setState(name, QStringLiteral("paused"));
    co_return outcomeOf(result);
}

QCoro::Task<Outcome> VmInstances::resume(QString name)
{
    const Vms::Result<void> result = co_await m_backend.resume(name);
    if (result.ok())
        setState(name, QStringLiteral("running"));
    co_return outcomeOf(result);
}

QCoro::Task<Outcome> VmInstances::remove(QString name)
{
    const Vms::Result<void> result = co_await m_backend.remove(name);
    if (result.ok()) {
        m_known.remove(name);
        if (m_network)
            co_await m_network->detach(name); // nothing to do for a VM without a reservation
    }
    co_return outcomeOf(result);
}

QCoro::Task<Expected<QString>> VmInstances::setLimits(QString name, QVariantMap limits)
{
    std::optional<quint64> memory;
    std::optional<uint> vcpus;
    for (auto it = limits.cbegin(); it != limits.cend(); ++it) {
        if (it.key() == QLatin1String("memory"))
            memory = it.value().toULongLong();
        else if (it.key() == QLatin1String("vcpus") || it.key() == QLatin1String("cpus"))
            vcpus = static_cast<uint>(it.value().toDouble());
        else
            co_return ErrorReply {Error::InvalidArgument,
                                  QStringLiteral("A VM's limits are memory and vcpus, not %1.").arg(it.key())};
    }
    const Vms::Result<Vms::VmBackend::LimitsOutcome> outcome = co_await m_backend.setLimits(name, memory, vcpus);
    if (!outcome.ok())
        co_return outcome.error();
    co_return outcome.value().notes.join(QLatin1Char(' '));
}

QCoro::Task<Expected<QVariantMap>> VmInstances::inspect(QString name)
{
    const Vms::Result<QVariantMap> parts = co_await m_backend.inspect(name);
    if (!parts.ok())
        co_return parts.error();
    co_return parts.value();
}

QCoro::Task<Expected<QDBusUnixFileDescriptor>> VmInstances::openConsole(QString name)
{
    const Vms::Result<Vms::UniqueFd> fd = co_await m_backend.openConsole(name);
    if (!fd.ok())
        co_return fd.error();
    co_return QDBusUnixFileDescriptor(fd.value().get()); // duplicates; ours closes on return
}

QCoro::Task<Expected<QDBusUnixFileDescriptor>> VmInstances::openDisplay(QString name)
{
    const Vms::Result<Vms::UniqueFd> fd = co_await m_backend.openDisplay(name);
    if (!fd.ok())
        co_return fd.error();
    co_return QDBusUnixFileDescriptor(fd.value().get());
}

QCoro::Task<SampleBatch> VmInstances::sample()
{
    SampleBatch batch;
    if (m_known.isEmpty() || !m_connection.isConnected())
        co_return batch;
    const Vms::Result<QList<Vms::VmSample>> samples = co_await m_backend.sampleRunning();
    if (!samples.ok())
        co_return batch;
    for (const Vms::VmSample &sample : samples.value()) {
        if (!m_known.contains(sample.name))
            continue;
        batch.append({sample.name,
                      {{QStringLiteral("cpuNs"), QVariant::fromValue<qulonglong>(sample.cpuNs)},
                       {QStringLiteral("cpuLimitCores"), static_cast<double>(sample.vcpus)},
                       {QStringLiteral("memoryBytes"), QVariant::fromValue<qulonglong>(sample.memoryBytes)},
                       {QStringLiteral("memoryLimitBytes"), QVariant::fromValue<qulonglong>(sample.memoryLimitBytes)},
                       {QStringLiteral("state"), sample.state}}});
        if (sample.netRxBytes && sample.netTxBytes) { // left out when not measured
            batch.last().values.insert(QStringLiteral("netRxBytes"),
                                       QVariant::fromValue<qulonglong>(*sample.netRxBytes));
            batch.last().values.insert(QStringLiteral("netTxBytes"),
                                       QVariant::fromValue<qulonglong>(*sample.netTxBytes));
        }
    }
    co_return batch;
}

} // namespace Hamlet
