#include "capabilities.h"

#include <QFileInfo>

namespace Hamlet {

namespace {
const QString kVersion = QStringLiteral("version");
const QString kRuntime = QStringLiteral("runtime");
const QString kRuntimeVersion = QStringLiteral("runtimeVersion");
const QString kRuntimeWarning = QStringLiteral("runtimeWarning");
const QString kCgroupVersion = QStringLiteral("cgroupVersion");
const QString kLibvirtUri = QStringLiteral("libvirtUri");
const QString kVirtualization = QStringLiteral("virtualization");
const QString kKvmDiagnosis = QStringLiteral("kvmDiagnosis");
const QString kBusybox = QStringLiteral("busybox");
const QString kKernel = QStringLiteral("kernel");
const QString kHostCpus = QStringLiteral("hostCpus");
const QString kHostMemory = QStringLiteral("hostMemory");
} // namespace

QVariantMap Capabilities::toVariantMap() const
{
    return {
        {kVersion, version},
        {kRuntime, runtime},
        {kRuntimeVersion, runtimeVersion},
        {kRuntimeWarning, runtimeWarning},
        {kCgroupVersion, cgroupVersion},
        {kLibvirtUri, libvirtUri},
        {kVirtualization, virtualization},
        {kKvmDiagnosis, kvmDiagnosis},
        {kBusybox, busybox},
        {kKernel, kernel},
        {kHostCpus, QVariant::fromValue(hostCpus)},
        {kHostMemory, QVariant::fromValue(hostMemory)},
    };
}

Capabilities Capabilities::fromVariantMap(const QVariantMap &map)
{
    Capabilities caps;
    caps.version = map.value(kVersion).toString();
    caps.runtime = map.value(kRuntime).toString();
    caps.runtimeVersion = map.value(kRuntimeVersion).toString();
    caps.runtimeWarning = map.value(kRuntimeWarning).toString();
    caps.cgroupVersion = map.value(kCgroupVersion).toString();
    caps.libvirtUri = map.value(kLibvirtUri).toString();
    caps.virtualization = map.value(kVirtualization).toString();
    caps.kvmDiagnosis = map.value(kKvmDiagnosis).toString();
    caps.busybox = map.value(kBusybox).toString();
    caps.kernel = map.value(kKernel).toString();
    caps.hostCpus = map.value(kHostCpus).toUInt();
    caps.hostMemory = map.value(kHostMemory).toULongLong();
    return caps;
}

QStringList Capabilities::keys()
{
    return {kVersion,        kRuntime,      kRuntimeVersion, kRuntimeWarning, kCgroupVersion, kLibvirtUri,
            kVirtualization, kKvmDiagnosis, kBusybox,        kKernel,         kHostCpus,      kHostMemory};
}

QString Capabilities::summary() const
{
    QStringList parts;
    if (runtime.isEmpty()) {
        parts << QStringLiteral("no OCI runtime");
    } else {
        // "runc version 1.1.5+ds1" -> "runc 1.1.5+ds1"
        QString shown = runtimeVersion;
        shown.replace(QStringLiteral(" version "), QStringLiteral(" "));
        parts << (shown.isEmpty() ? QFileInfo(runtime).fileName() : shown);
    }
    parts << QStringLiteral("cgroup %1").arg(cgroupVersion);
    if (libvirtUri.startsWith(QStringLiteral("qemu:///embed")))
        parts << QStringLiteral("libvirt embedded");
    else
        parts << QStringLiteral("libvirt %1").arg(libvirtUri);
    parts << virtualization.toUpper();
    return parts.join(QStringLiteral(" · "));
}

QStringList Capabilities::diagnoses() const
{
    QStringList out;
    if (runtime.isEmpty())
        out << QStringLiteral("No OCI runtime found: install the 'runc' (or 'crun') package to run containers.");
    if (!runtimeWarning.isEmpty())
        out << runtimeWarning;
    if (virtualization != QStringLiteral("kvm"))
        out << QStringLiteral("KVM unavailable: VMs run slower under TCG%1.")
                   .arg(kvmDiagnosis.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(kvmDiagnosis));
    if (busybox.isEmpty())
        out << QStringLiteral("No static busybox: install 'busybox-static' for the built-in image and tiny VM.");
    if (kernel.isEmpty())
        out << QStringLiteral("No bootable host kernel in /boot: install a linux-image package for the tiny VM.");
    return out;
}

} // namespace Hamlet
