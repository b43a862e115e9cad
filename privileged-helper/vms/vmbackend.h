#pragma once

#include "libvirtconnection.h"
#include "result.h"
#include "uniquefd.h"
#include "vmlaunch.h"
#include "vmspec.h"
#include "vmstats.h"

#include <QCoro/QCoroTask>
#include <QObject>
#include <QVariantMap>

#include <chrono>
#include <optional>

namespace Hamlet::Vms {

// Hamlet's virtual machines over one libvirt connection: each VM is a libvirt domain of the same
// name whose definition carries Hamlet's metadata (so libvirt, not a file of Hamlet's, is the
// record, and virsh or virt-manager on qemu:///system see the same VMs). Every method is a
// coroutine that never blocks the calling thread and answers with a value or an ErrorReply.
// Nothing is left half-made: a create that fails undefines what it defined and removes the disk
// it created.
class VmBackend : public QObject
{
    Q_OBJECT
public:
    struct Options {
        QString stateDir; // Hamlet's STATE: disks go to STATE/vms/disks, the tiny initramfs to STATE/vms
        Accelerator accelerator = Accelerator::Tcg; // what the host can do (HostProbe::kvmWorks)
        QString hostKernel; // for the tiny VM (HostProbe::findBootableKernel)
        QString busybox; // static busybox for the tiny VM (HostProbe::findStaticBusybox)
        uint hostCpus = 1;
        quint64 hostMemoryBytes = 0;
        // How long Stop(force=false) waits for the guest to act on ACPI power-off before it
        // destroys the VM. The tiny VM has no ACPI daemon, so for it this is the normal path.
        std::chrono::milliseconds shutdownTimeout {30000};
        QString qemuImg = QStringLiteral("qemu-img");
        // Where each VM's kernel and initrd are copied at every start, readable by QEMU's user
        // (under the system libvirtd that is libvirt-qemu, which cannot enter the helper's 0700
        // STATE). "" means STATE/vms/boot, fine for the embedded driver's root QEMU.
        QString guestFilesDir;
    };

    // What SetLimits did: each change either took effect in the running guest or was saved for
    // the next boot, and `notes` says which in words for the user.
    struct LimitsOutcome {
        bool memoryLive = false;
        bool vcpusLive = false;
        QStringList notes;
    };

    struct VmInfo {
        QString name;
        QString state; // a VmState
        QString source; // "tiny", "iso", ... or "" for a domain Hamlet did not create
    };

    VmBackend(LibvirtConnection &connection, Options options, QObject *parent = nullptr);

    const Options &options() const { return m_options; }
    HostLimits hostLimits() const;

    // The first reason the spec cannot become a VM here (after the tiny VM's defaults), or none.
    std::optional<ErrorReply> problemWith(VmSpec spec) const;
    // Validates, prepares the disk or the tiny VM's initramfs, defines and starts the VM. Its files
    // are opened as spec.ownerUid (vmlaunch.h), at this start and every later one.
    QCoro::Task<Result<void>> create(VmSpec spec);
    QCoro::Task<Result<void>> start(QString name);
    // ACPI power-off, then destroy after options().shutdownTimeout; at once when force.
    QCoro::Task<Result<void>> stop(QString name, bool force);
    QCoro::Task<Result<void>> pause(QString name);
    QCoro::Task<Result<void>> resume(QString name);
    // stop(force=false) then start: works for guests that ignore ACPI reboot, like the tiny VM.
    QCoro::Task<Result<void>> restart(QString name);
    // Stops the VM if it runs, undefines it and removes the disk Hamlet created for it (never a
    // disk image the user brought).
    QCoro::Task<Result<void>> remove(QString name);
    // Memory (bytes) and vCPUs; live where libvirt allows it, else in the definition.
    QCoro::Task<Result<LimitsOutcome>> setLimits(QString name, std::optional<quint64> memoryBytes,
                                                 std::optional<uint> vcpus);

    QCoro::Task<Result<QString>> state(QString name);
    QCoro::Task<Result<QList<VmInfo>>> list();
    // Keys: name, state, source, accelerator ("kvm"/"tcg"), machine, pid (0 when not running),
    // kernel, kernelRelease (e.g. "6.1.0-56-cloud-amd64"), initrd, cmdline, disks (list of maps: device, target,
    // source, format), vcpus, maxVcpus, memory (bytes), maxMemory, cpuTimeNs, hasDisplay, osVariant, xml.
    QCoro::Task<Result<QVariantMap>> inspect(QString name);
    // The caller's end of a socket bridged to the serial console.
    QCoro::Task<Result<UniqueFd>> openConsole(QString name);
    // A connected VNC socket (RFB) to the VM's display; Unsupported for VMs without one.
    QCoro::Task<Result<UniqueFd>> openDisplay(QString name);
    // One virConnectGetAllDomainStats(NOWAIT) call over all running VMs.
    QCoro::Task<Result<QList<VmSample>>> sampleRunning();

    // Starts the stopped VMs marked autostart, once per boot of the host (a marker in the
    // guest files directory, which lives on /run): libvirt's own autostart would start them
    // without the owner's files, so the helper does it, through the same path as Start.
    QCoro::Task<> autostart();

    // Where Hamlet keeps the disk it creates for an iso VM.
    QString ownedDiskPath(const QString &name) const;

Q_SIGNALS:
    // From libvirt's lifecycle events: "running", "paused", "stopped" or "failed".
    void stateChanged(const QString &name, const QString &state);

private:
    void completeSpec(VmSpec &spec) const;
    QCoro::Task<Result<void>> prepareSpec(VmSpec &spec);
    // The image's ext4 disk (made once per digest), the VM's overlay and its initramfs.
    QCoro::Task<Result<void>> prepareImage(VmSpec &spec);
    QCoro::Task<Result<void>> createDisk(const QString &path, quint64 sizeBytes);
    QCoro::Task<Result<void>> startStopped(const QString &name);
    LaunchContext launchContext() const;
    // Runs work on the named domain on a worker thread (looked up there; NotFound if missing).
    // Callers build their lambda outside any co_await expression (see the definition).
    template <typename T>
    QCoro::Task<Result<T>> withDomain(const QString &name, std::function<Result<T>(virConnectPtr, virDomainPtr)> work);
    QCoro::Task<Result<void>> simpleAction(const QString &name, const QString &doing, int (*action)(virDomainPtr));
    QString pidFilePath(const QString &name) const;

    LibvirtConnection &m_connection;
    Options m_options;
};

template <typename T>
QCoro::Task<Result<T>> VmBackend::withDomain(const QString &name,
                                             std::function<Result<T>(virConnectPtr, virDomainPtr)> work)
{
    // Not a coroutine itself: GCC 12 destroys a capturing lambda twice when it is made inside a
    // co_await expression, so lambdas are built in plain functions like this one.
    return m_connection.run<T>([name, work = std::move(work)](virConnectPtr connection) -> Result<T> {
        DomainHandle domain(virDomainLookupByName(connection, name.toUtf8().constData()));
        if (!domain)
            return domainLookupError(name);
        return work(connection, domain.get());
    });
}

} // namespace Hamlet::Vms
