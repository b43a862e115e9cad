#include "vmbackend.h"

#include "domainfacts.h"
#include "domainxml.h"
#include "failpoints.h"
#include "logging.h"
#include "tinyinitramfs.h"
#include "vmstate.h"

#include <QCoro/QCoroProcess>
#include <QCoro/QCoroTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QThread>

namespace Hamlet::Vms {

using namespace std::chrono_literals;

VmBackend::VmBackend(LibvirtConnection &connection, Options options, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_options(std::move(options))
{
    connect(&m_connection, &LibvirtConnection::domainLifecycleEvent, this,
            [this](const QString &name, int event, int detail) {
                if (const std::optional<QString> state = VmState::fromLifecycleEvent(event, detail)) {
                    Log::vms()->debug("{} is {} (libvirt event {}/{})", name, *state, event, detail);
                    Q_EMIT stateChanged(name, *state);
                }
            });
}

HostLimits VmBackend::hostLimits() const
{
    return HostLimits {m_options.hostMemoryBytes, m_options.hostCpus, m_options.accelerator == Accelerator::Kvm};
}

QString VmBackend::ownedDiskPath(const QString &name) const
{
    return m_options.stateDir + QStringLiteral("/vms/disks/") + name + QStringLiteral(".qcow2");
}

QCoro::Task<Result<void>> VmBackend::createDisk(const QString &path, quint64 sizeBytes)
{
    if (!QDir().mkpath(QFileInfo(path).path()))
        co_return failure(Error::Failed, QStringLiteral("Cannot create the directory %1.").arg(QFileInfo(path).path()));
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    const QStringList arguments {
        QStringLiteral("create"),  QStringLiteral("-q"), QStringLiteral("-f"), QStringLiteral("qcow2"), path,
        QString::number(sizeBytes)};
    auto coProcess = qCoro(process); // named: GCC 12 destroys temporaries in co_await twice
    if (!co_await coProcess.start(m_options.qemuImg, arguments))
        co_return failure(Error::Failed,
                          QStringLiteral("Cannot run %1 to create the VM's disk: %2; install the "
                                         "'qemu-utils' package.")
                              .arg(m_options.qemuImg, process.errorString()));
    co_await coProcess.waitForFinished(60s);
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        QFile::remove(path);
        co_return failure(Error::Failed,
                          QStringLiteral("qemu-img could not create %1: %2")
                              .arg(path, QString::fromLocal8Bit(process.readAll()).trimmed()));
    }
    co_return Result<void> {};
}

void VmBackend::completeSpec(VmSpec &spec) const
{
    if (spec.source == VmSource::Tiny) {
        spec.kernelPath = m_options.hostKernel;
        spec.cmdline = TinyInitramfs::KernelCommandLine;
    }
    // Room to add vCPUs to a running guest later (SetLimits), up to what the host has.
    if (spec.maxVcpus == 0)
        spec.maxVcpus = std::max(spec.vcpus, m_options.hostCpus);
}

std::optional<ErrorReply> VmBackend::problemWith(VmSpec spec) const
{
    completeSpec(spec);
    return vmSpecProblem(spec, hostLimits());
}

QCoro::Task<Result<void>> VmBackend::prepareSpec(VmSpec &spec)
{
    completeSpec(spec);
    if (const std::optional<ErrorReply> problem = vmSpecProblem(spec, hostLimits()))
        co_return *problem;

    const Result<QString> existing = co_await state(spec.name);
    if (existing.ok())
        co_return failure(Error::Exists, QStringLiteral("A VM named \"%1\" already exists.").arg(spec.name));
    if (existing.error().name != Error::NotFound)
        co_return existing.error();

    switch (spec.source) {
    case VmSource::Tiny: {
        // Reads busybox and may write ~2 MB: off the Qt thread like any other blocking work.
        std::function<Result<QString>(virConnectPtr)> build
            = [stateDir = m_options.stateDir, busybox = m_options.busybox, kernel = spec.kernelPath](virConnectPtr) {
                  return TinyInitramfs::ensure(stateDir, busybox, kernel);
              };
        const Result<QString> initramfs = co_await m_connection.run<QString>(std::move(build));
        if (!initramfs)
            co_return initramfs.error();
        spec.initrdPath = initramfs.value();
        break;
    }
    case VmSource::Iso: {
        spec.diskPath = ownedDiskPath(spec.name);
        spec.diskFormat = DiskFormat::Qcow2;
        spec.diskOwnedByHamlet = true;
        // No domain has this name (checked above), so a disk here is left from a create that
        // was interrupted: nothing refers to it.
        if (QFile::exists(spec.diskPath)) {
            Log::vms()->warn("removing the orphaned disk {}", spec.diskPath);
            QFile::remove(spec.diskPath);
        }
        if (Result<void> disk = co_await createDisk(spec.diskPath, spec.diskSizeBytes); !disk)
            co_return disk.error();
        break;
    }
    case VmSource::Disk: // its format is read from the fd the owner opens (vmlaunch.h)
        break;
    case VmSource::Kernel:
        break;
    }
    co_return Result<void> {};
}

LaunchContext VmBackend::launchContext() const
{
    const QString dir = m_options.guestFilesDir.isEmpty() ? m_options.stateDir + QStringLiteral("/vms/boot")
                                                          : m_options.guestFilesDir;
    return LaunchContext {dir, qemuGroupFor(m_connection.isEmbedded())};
}

QCoro::Task<Result<void>> VmBackend::create(VmSpec spec)
{
    if (Result<void> prepared = co_await prepareSpec(spec); !prepared)
        co_return prepared.error();
    const LaunchContext context = launchContext();
    spec.guestFilesDir = guestFilesDirOf(context.guestFilesDir, spec.name);
    const QString name = spec.name;
    std::function<Result<void>(virConnectPtr)> defineAndStart
        = [spec, context](virConnectPtr connection) mutable -> Result<void> {
        Result<OpenedVmFiles> files = openVmFiles(vmFilesOf(spec), context);
        if (!files)
            return files.error();
        if (spec.source == VmSource::Disk)
            spec.diskFormat = files.value().diskFormat; // read from the owner's fd, not by path
        const QString xml = domainXml(spec);
        DomainHandle domain(virDomainDefineXMLFlags(connection, xml.toUtf8().constData(), VIR_DOMAIN_DEFINE_VALIDATE));
        if (!domain)
            return lastLibvirtError(QStringLiteral("libvirt refused the definition of the VM \"%1\"").arg(spec.name));
        std::optional<ErrorReply> failPoint = FailPoints::hit(FailPoints::VmDefined);
        Result<void> started
            = failPoint ? Result<void>(*failPoint) : startWithFiles(domain.get(), files.value(), spec.name);
        if (started && (failPoint = FailPoints::hit(FailPoints::VmStarted))) {
            virDomainDestroy(domain.get());
            started = *failPoint;
        }
        if (!started)
            virDomainUndefine(domain.get());
        return started;
    };
    Result<void> created = co_await m_connection.run<void>(std::move(defineAndStart));
    if (!created) {
        if (spec.diskOwnedByHamlet)
            QFile::remove(spec.diskPath);
        removeGuestFiles(context, name);
        co_return created.error();
    }
    Log::vms()->info("created and started the {} VM {} ({} MiB, {} vCPUs, {}, owner uid {})", toString(spec.source),
                     name, spec.memoryBytes >> 20, spec.vcpus, toString(spec.accelerator), spec.ownerUid);
    co_return Result<void> {};
}

QCoro::Task<Result<void>> VmBackend::simpleAction(const QString &name, const QString &doing,
                                                  int (*action)(virDomainPtr))
{
    return withDomain<void>(name, [name, doing, action](virConnectPtr, virDomainPtr domain) -> Result<void> {
        if (action(domain) < 0)
            return lastLibvirtError(doing.arg(name));
        return {};
    });
}

QCoro::Task<Result<void>> VmBackend::start(QString name)
{
    const Result<QString> current = co_await state(name);
    if (!current)
        co_return current.error();
    if (current.value() == VmState::Running)
        co_return Result<void> {}; // already what was asked
    if (current.value() == VmState::Paused)
        co_return failure(Error::InvalidArgument,
                          QStringLiteral("The VM \"%1\" is paused; resume it instead of starting it.").arg(name));
    co_return co_await startStopped(name);
}

QCoro::Task<Result<void>> VmBackend::startStopped(const QString &name)
{
    const LaunchContext context = launchContext();
    const QString hostKernel = m_options.hostKernel;
    const QString stateDir = m_options.stateDir;
    const QString busybox = m_options.busybox;
    return withDomain<void>(name, [=](virConnectPtr, virDomainPtr domain) -> Result<void> {
        // A guest that has just powered off is "stopped" for Hamlet while libvirt still tears
        // QEMU down (about a second): wait for that instead of failing with "already running".
        for (int waited = 0; virDomainIsActive(domain) == 1 && waited < 100; ++waited)
            QThread::msleep(50);
        char *xml = virDomainGetXMLDesc(domain, VIR_DOMAIN_XML_INACTIVE);
        if (!xml)
            return lastLibvirtError(QStringLiteral("Cannot read the definition of the VM \"%1\"").arg(name));
        const DomainFacts facts = parseDomainFacts(QString::fromUtf8(xml));
        free(xml);
        QString initramfs;
        if (facts.hamletSource == toString(VmSource::Tiny)) {
            const Result<QString> made = TinyInitramfs::ensure(stateDir, busybox, hostKernel);
            if (!made)
                return made.error();
            initramfs = made.value();
        }
        Result<OpenedVmFiles> files = openVmFiles(vmFilesOf(name, facts, hostKernel, initramfs), context);
        if (!files)
            return files.error();
        return startWithFiles(domain, files.value(), name);
    });
}

QCoro::Task<> VmBackend::autostart()
{
    const LaunchContext context = launchContext();
    const QString marker = context.guestFilesDir + QStringLiteral("/.autostarted");
    if (QFile::exists(marker))
        co_return; // this boot's autostart already happened; a VM stopped since stays stopped
    std::function<Result<QStringList>(virConnectPtr)> find = [](virConnectPtr connection) -> Result<QStringList> {
        virDomainPtr *domains = nullptr;
        const int count = virConnectListAllDomains(connection, &domains, VIR_CONNECT_LIST_DOMAINS_INACTIVE);
        if (count < 0)
            return lastLibvirtError(QStringLiteral("Cannot list the VMs"));
        QStringList names;
        for (int i = 0; i < count; ++i) {
            DomainHandle domain(domains[i]);
            char *xml = virDomainGetXMLDesc(domain.get(), VIR_DOMAIN_XML_INACTIVE);
            if (xml && parseDomainFacts(QString::fromUtf8(xml)).autostart)
                names << QString::fromUtf8(virDomainGetName(domain.get()));
            free(xml);
        }
        free(domains);
        return names;
    };
    const Result<QStringList> names = co_await m_connection.run<QStringList>(std::move(find));
    if (!names)
        co_return;
    QDir().mkpath(context.guestFilesDir);
    QFile(marker).open(QIODevice::WriteOnly);
    for (const QString &name : names.value()) {
        const Result<void> started = co_await startStopped(name);
        if (started)
            Log::vms()->info("autostarted the VM {}", name);
        else
            Log::vms()->error("cannot autostart the VM {}: {}", name, started.error().message);
    }
}

QCoro::Task<Result<void>> VmBackend::stop(QString name, bool force)
{
    // Named: GCC 12 destroys temporaries made inside a co_await expression twice.
    const QString shutdownFailed = QStringLiteral("Cannot ask the VM \"%1\" to shut down");
    const QString destroyFailed = QStringLiteral("Cannot stop the VM \"%1\"");
    const Result<QString> current = co_await state(name);
    if (!current)
        co_return current.error();
    if (current.value() == VmState::Stopped || current.value() == VmState::Failed)
        co_return Result<void> {};
    if (!force && current.value() == VmState::Running) {
        if (Result<void> asked = co_await simpleAction(name, shutdownFailed, virDomainShutdown); !asked)
            co_return asked.error();
        QElapsedTimer waited;
        waited.start();
        while (waited.elapsed() < m_options.shutdownTimeout.count()) {
            co_await QCoro::sleepFor(200ms);
            const Result<QString> now = co_await state(name);
            if (!now)
                co_return now.error();
            if (now.value() == VmState::Stopped || now.value() == VmState::Failed)
                co_return Result<void> {};
        }
        Log::vms()->info("{} did not power off within {} ms of the ACPI request; destroying it", name,
                         m_options.shutdownTimeout.count());
    }
    const Result<void> destroyed = co_await simpleAction(name, destroyFailed, virDomainDestroy);
    if (destroyed)
        co_return destroyed;
    // libvirt may see QEMU die on its own while it destroys it (a domain found again after a
    // restart of the helper); what was asked for happened all the same.
    const Result<QString> after = co_await state(name);
    if (after && (after.value() == VmState::Stopped || after.value() == VmState::Failed))
        co_return Result<void> {};
    co_return destroyed;
}

QCoro::Task<Result<void>> VmBackend::pause(QString name)
{
    return simpleAction(name, QStringLiteral("Cannot pause the VM \"%1\""), virDomainSuspend);
}

QCoro::Task<Result<void>> VmBackend::resume(QString name)
{
    return simpleAction(name, QStringLiteral("Cannot resume the VM \"%1\""), virDomainResume);
}

QCoro::Task<Result<void>> VmBackend::restart(QString name)
{
    if (Result<void> stopped = co_await stop(name, false); !stopped)
        co_return stopped;
    co_return co_await start(name);
}

QCoro::Task<Result<void>> VmBackend::remove(QString name)
{
    std::function<Result<QString>(virConnectPtr, virDomainPtr)> undefine
        = [name](virConnectPtr, virDomainPtr domain) -> Result<QString> {
        char *xml = virDomainGetXMLDesc(domain, VIR_DOMAIN_XML_INACTIVE);
        if (!xml)
            return lastLibvirtError(QStringLiteral("Cannot read the definition of the VM \"%1\"").arg(name));
        const DomainFacts facts = parseDomainFacts(QString::fromUtf8(xml));
        free(xml);
        // A QEMU that went away between the two calls (libvirt giving up on one it reconnects to
        // after a helper crash) is what destroy was for: "not running" is not a failure here.
        if (virDomainIsActive(domain) == 1 && virDomainDestroy(domain) < 0 && virDomainIsActive(domain) != 0)
            return lastLibvirtError(QStringLiteral("Cannot stop the VM \"%1\" to delete it").arg(name));
        const unsigned int flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
            | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_NVRAM;
        if (virDomainUndefineFlags(domain, flags) < 0)
            return lastLibvirtError(QStringLiteral("Cannot delete the VM \"%1\"").arg(name));
        return facts.hamletOwnedDisk;
    };
    const Result<QString> ownedDisk = co_await withDomain<QString>(name, std::move(undefine));
    if (!ownedDisk)
        co_return ownedDisk.error();
    // Only a file in Hamlet's own disk directory: metadata edited by hand must not make Hamlet
    // delete a user's image.
    const QString disk = ownedDisk.value();
    const QString disksDir = QFileInfo(ownedDiskPath(name)).absolutePath();
    if (!disk.isEmpty() && QFileInfo(disk).absolutePath() == disksDir && QFile::exists(disk) && !QFile::remove(disk))
        co_return failure(
            Error::Failed,
            QStringLiteral("The VM \"%1\" is deleted but its disk %2 could not be removed.").arg(name, disk));
    removeGuestFiles(launchContext(), name);
    Log::vms()->info("deleted the VM {}{}", name, disk.isEmpty() ? QString() : QStringLiteral(" and ") + disk);
    co_return Result<void> {};
}

QCoro::Task<Result<QString>> VmBackend::state(QString name)
{
    return withDomain<QString>(name, [name](virConnectPtr, virDomainPtr domain) -> Result<QString> {
        int state = 0;
        int reason = 0;
        if (virDomainGetState(domain, &state, &reason, 0) < 0)
            return lastLibvirtError(QStringLiteral("Cannot read the state of the VM \"%1\"").arg(name));
        return VmState::fromDomainState(state, reason);
    });
}

} // namespace Hamlet::Vms
