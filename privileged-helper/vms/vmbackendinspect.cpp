// VmBackend's queries and device access: list, inspect, stats, limits, console and display.
#include "consolebridge.h"
#include "domainfacts.h"
#include "logging.h"
#include "vmbackend.h"
#include "vmstate.h"

#include <QFile>
#include <QFileInfo>
#include <QUrl>
#include <QUrlQuery>

namespace Hamlet::Vms {

namespace {

QString liveXml(virDomainPtr domain, unsigned int flags = 0)
{
    char *xml = virDomainGetXMLDesc(domain, flags);
    if (!xml)
        return {};
    QString text = QString::fromUtf8(xml);
    free(xml);
    return text;
}

} // namespace

QString VmBackend::pidFilePath(const QString &name) const
{
    // Where libvirt's QEMU driver keeps the pid of a running domain.
    // A daemon reached through ?socket=DIR/libvirt-sock keeps its runtime files in DIR (its
    // /run/libvirt: a private one, as the tests start it, or the usual one).
    const QString root = m_connection.embeddedRoot();
    const QString socket = QUrlQuery(QUrl(m_connection.uri())).queryItemValue(QStringLiteral("socket"));
    const QString runDir = !root.isEmpty() ? root + QStringLiteral("/run")
        : socket.isEmpty()                 ? QStringLiteral("/run/libvirt")
                                           : QFileInfo(socket).absolutePath();
    return runDir + QStringLiteral("/qemu/%1.pid").arg(name);
}

QCoro::Task<Result<QList<VmBackend::VmInfo>>> VmBackend::list()
{
    return m_connection.run<QList<VmInfo>>([](virConnectPtr connection) -> Result<QList<VmInfo>> {
        virDomainPtr *domains = nullptr;
        const int count = virConnectListAllDomains(connection, &domains, 0);
        if (count < 0)
            return lastLibvirtError(QStringLiteral("Cannot list the VMs"));
        QList<VmInfo> infos;
        for (int i = 0; i < count; ++i) {
            DomainHandle domain(domains[i]);
            int state = 0;
            int reason = 0;
            virDomainGetState(domain.get(), &state, &reason, 0);
            infos.append(VmInfo {QString::fromUtf8(virDomainGetName(domain.get())),
                                 VmState::fromDomainState(state, reason),
                                 parseDomainFacts(liveXml(domain.get())).hamletSource});
        }
        free(domains);
        return infos;
    });
}

QCoro::Task<Result<QVariantMap>> VmBackend::inspect(QString name)
{
    const QString pidFile = pidFilePath(name);
    const QString hostKernel = m_options.hostKernel;
    return withDomain<QVariantMap>(
        name, [name, pidFile, hostKernel](virConnectPtr, virDomainPtr domain) -> Result<QVariantMap> {
            const QString xml = liveXml(domain);
            if (xml.isEmpty())
                return lastLibvirtError(QStringLiteral("Cannot read the definition of the VM \"%1\"").arg(name));
            const DomainFacts facts = parseDomainFacts(xml);
            const bool tiny = facts.hamletSource == QStringLiteral("tiny");
            virDomainInfo info {};
            if (virDomainGetInfo(domain, &info) < 0)
                return lastLibvirtError(QStringLiteral("Cannot read the state of the VM \"%1\"").arg(name));
            int state = 0;
            int reason = 0;
            virDomainGetState(domain, &state, &reason, 0);
            const bool active = virDomainIsActive(domain) == 1;
            qulonglong pid = 0;
            if (active) {
                QFile file(pidFile);
                if (file.open(QIODevice::ReadOnly))
                    pid = file.readAll().trimmed().toULongLong();
            }
            QVariantList disks;
            for (const DomainFacts::Disk &disk : facts.disks)
                disks.append(QVariantMap {{QStringLiteral("device"), disk.device},
                                          {QStringLiteral("target"), disk.target},
                                          {QStringLiteral("source"), disk.source},
                                          {QStringLiteral("format"), disk.format}});
            const int liveVcpus
                = virDomainGetVcpusFlags(domain, active ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG);
            QVariantMap parts {
                {QStringLiteral("name"), name},
                {QStringLiteral("state"), VmState::fromDomainState(state, reason)},
                {QStringLiteral("source"), facts.hamletSource},
                {QStringLiteral("accelerator"), facts.accelerator()},
                {QStringLiteral("machine"), facts.machine},
                // The files as given; the XML names the staged copies, which are the helper's own to read.
                {QStringLiteral("kernel"),
                 tiny                              ? hostKernel
                     : facts.givenKernel.isEmpty() ? facts.kernel
                                                   : facts.givenKernel},
                {QStringLiteral("kernelRelease"), facts.kernel.isEmpty() ? QString() : kernelReleaseOf(facts.kernel)},
                {QStringLiteral("initrd"), facts.givenInitrd.isEmpty() ? facts.initrd : facts.givenInitrd},
                {QStringLiteral("cmdline"), facts.cmdline},
                {QStringLiteral("disks"), disks},
                {QStringLiteral("vcpus"), static_cast<uint>(liveVcpus > 0 ? liveVcpus : facts.vcpus)},
                {QStringLiteral("maxVcpus"), facts.maxVcpus},
                {QStringLiteral("memory"), static_cast<qulonglong>(info.memory) * 1024},
                {QStringLiteral("maxMemory"), static_cast<qulonglong>(info.maxMem) * 1024},
                {QStringLiteral("cpuTimeNs"), static_cast<qulonglong>(info.cpuTime)},
                {QStringLiteral("hasDisplay"), facts.hasGraphics},
                {QStringLiteral("osVariant"), facts.osVariant},
                {QStringLiteral("network"), facts.network.isEmpty() ? QStringLiteral("none") : facts.network},
                {QStringLiteral("xml"), xml},
            };
            if (pid > 0) // a pid that could not be read is left out, never shown as 0
                parts.insert(QStringLiteral("pid"), pid);
            if (facts.ownerUid)
                parts.insert(QStringLiteral("ownerUid"), *facts.ownerUid);
            if (!facts.mac.isEmpty())
                parts.insert(QStringLiteral("mac"), facts.mac);
            if (!facts.bridge.isEmpty())
                parts.insert(QStringLiteral("bridge"), facts.bridge);
            if (!facts.image.isEmpty()) { // an image VM: its image and where its console is kept
                parts.insert(QStringLiteral("image"), facts.image);
                parts.insert(QStringLiteral("imageDigest"), facts.imageDigest);
                parts.insert(QStringLiteral("consoleLog"), facts.consoleLog);
            }
            return parts;
        });
}

QCoro::Task<Result<UniqueFd>> VmBackend::openConsole(QString name)
{
    return withDomain<UniqueFd>(
        name, [](virConnectPtr connection, virDomainPtr domain) { return ConsoleBridge::open(connection, domain); });
}

QCoro::Task<Result<UniqueFd>> VmBackend::openDisplay(QString name)
{
    return withDomain<UniqueFd>(name, [name](virConnectPtr, virDomainPtr domain) -> Result<UniqueFd> {
        if (!parseDomainFacts(liveXml(domain)).hasGraphics)
            return failure(Error::Unsupported,
                           QStringLiteral("The VM \"%1\" has no display, only a serial console; "
                                          "open its console instead.")
                               .arg(name));
        if (virDomainIsActive(domain) != 1)
            return failure(Error::InvalidArgument,
                           QStringLiteral("The VM \"%1\" is not running; start it to see its display.").arg(name));
        // SKIPAUTH: the caller was authorized by polkit; VNC has no password to ask for.
        const int fd = virDomainOpenGraphicsFD(domain, 0, VIR_DOMAIN_OPEN_GRAPHICS_SKIPAUTH);
        if (fd < 0)
            return lastLibvirtError(QStringLiteral("Cannot open the display of the VM \"%1\"").arg(name));
        return UniqueFd(fd);
    });
}

QCoro::Task<Result<QList<VmSample>>> VmBackend::sampleRunning()
{
    return m_connection.run<QList<VmSample>>([](virConnectPtr connection) -> Result<QList<VmSample>> {
        virDomainStatsRecordPtr *records = nullptr;
        const unsigned int stats = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON
            | VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_INTERFACE;
        // NOWAIT: a VM whose QEMU is busy is reported with what libvirt has, instead of
        // stalling the whole tick behind it.
        const int count = virConnectGetAllDomainStats(connection, stats, &records,
                                                      VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE
                                                          | VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
        if (count < 0)
            return lastLibvirtError(QStringLiteral("Cannot read the VMs' statistics"));
        QList<VmSample> samples = samplesFromStatsRecords(records, count);
        virDomainStatsRecordListFree(records);
        return samples;
    });
}

QCoro::Task<Result<VmBackend::LimitsOutcome>> VmBackend::setLimits(QString name, std::optional<quint64> memoryBytes,
                                                                   std::optional<uint> vcpus)
{
    const HostLimits host = hostLimits();
    if (memoryBytes && (*memoryBytes == 0 || *memoryBytes > host.memoryBytes))
        co_return failure(Error::InvalidArgument,
                          QStringLiteral("Memory for the VM \"%1\" must be between 1 byte and "
                                         "the host's %2.")
                              .arg(name, humanBytes(host.memoryBytes)));
    if (vcpus && (*vcpus == 0 || *vcpus > host.cpus))
        co_return failure(
            Error::InvalidArgument,
            QStringLiteral("vCPUs for the VM \"%1\" must be between 1 and the host's %2.").arg(name).arg(host.cpus));

    std::function<Result<LimitsOutcome>(virConnectPtr, virDomainPtr)> apply
        = [name, memoryBytes, vcpus](virConnectPtr, virDomainPtr domain) -> Result<LimitsOutcome> {
        LimitsOutcome outcome;
        const bool active = virDomainIsActive(domain) == 1;
        if (memoryBytes) {
            const unsigned long kib = static_cast<unsigned long>((*memoryBytes + 1023) / 1024);
            // The balloon can give a running guest any amount up to its maximum memory;
            // beyond that only the definition changes.
            const unsigned long maximum = virDomainGetMaxMemory(domain);
            if (active && kib <= maximum
                && virDomainSetMemoryFlags(domain, kib, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG) == 0) {
                outcome.memoryLive = true;
                outcome.notes.append(QStringLiteral("Memory is now %1 (through the balloon driver, which the "
                                                    "guest must have loaded).")
                                         .arg(humanBytes(*memoryBytes)));
            } else {
                if (kib > maximum
                    && virDomainSetMemoryFlags(domain, kib, unsigned(VIR_DOMAIN_AFFECT_CONFIG) | VIR_DOMAIN_MEM_MAXIMUM)
                        < 0)
                    return lastLibvirtError(QStringLiteral("Cannot raise the memory of the VM \"%1\"").arg(name));
                if (virDomainSetMemoryFlags(domain, kib, VIR_DOMAIN_AFFECT_CONFIG) < 0)
                    return lastLibvirtError(QStringLiteral("Cannot change the memory of the VM \"%1\"").arg(name));
                outcome.notes.append(
                    active ? QStringLiteral("Memory becomes %1 at the next boot: a running guest "
                                            "cannot grow beyond the memory it booted with.")
                                 .arg(humanBytes(*memoryBytes))
                           : QStringLiteral("Memory is %1 from the next start.").arg(humanBytes(*memoryBytes)));
            }
        }
        if (vcpus) {
            const int maximum
                = virDomainGetVcpusFlags(domain, unsigned(VIR_DOMAIN_AFFECT_CONFIG) | VIR_DOMAIN_VCPU_MAXIMUM);
            if (active && static_cast<int>(*vcpus) <= maximum
                && virDomainSetVcpusFlags(domain, *vcpus, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG) == 0) {
                outcome.vcpusLive = true;
                outcome.notes.append(QStringLiteral("The VM now has %1 vCPUs.").arg(*vcpus));
            } else {
                if (static_cast<int>(*vcpus) > maximum
                    && virDomainSetVcpusFlags(domain, *vcpus,
                                              unsigned(VIR_DOMAIN_AFFECT_CONFIG) | VIR_DOMAIN_VCPU_MAXIMUM)
                        < 0)
                    return lastLibvirtError(QStringLiteral("Cannot raise the vCPUs of the VM \"%1\"").arg(name));
                if (virDomainSetVcpusFlags(domain, *vcpus, VIR_DOMAIN_AFFECT_CONFIG) < 0)
                    return lastLibvirtError(QStringLiteral("Cannot change the vCPUs of the VM \"%1\"").arg(name));
                outcome.notes.append(active ? QStringLiteral("The VM gets %1 vCPUs at the next boot: this guest "
                                                             "cannot change them while it runs.")
                                                  .arg(*vcpus)
                                            : QStringLiteral("The VM has %1 vCPUs from the next start.").arg(*vcpus));
            }
        }
        return outcome;
    };
    co_return co_await withDomain<LimitsOutcome>(name, std::move(apply));
}

} // namespace Hamlet::Vms
