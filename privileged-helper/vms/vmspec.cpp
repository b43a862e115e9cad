#include "vmspec.h"

#include "names.h"

#include <QFile>
#include <QFileInfo>
#include <QSet>

#include <cmath>
#include <limits>
#include <sys/stat.h>

namespace Hamlet::Vms {

namespace {

ErrorReply invalid(const QString &message)
{
    return failure(Error::InvalidArgument, message);
}

// Accepts any D-Bus integer type (hamletctl and the GUI may marshal 'i' or 'x' where 't' is
// documented) but never a string or a negative number.
std::optional<quint64> unsignedValue(const QVariant &value)
{
    switch (value.metaType().id()) {
    case QMetaType::UInt:
    case QMetaType::ULongLong:
    case QMetaType::UShort:
    case QMetaType::UChar:
        return value.toULongLong();
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::Short:
        if (value.toLongLong() < 0)
            return std::nullopt;
        return static_cast<quint64>(value.toLongLong());
    default:
        return std::nullopt;
    }
}

// The file a VM will read: it must exist and be a file (or a block device for disks).
std::optional<ErrorReply> unreadableFileProblem(const QString &what, const QString &path, bool blockDeviceAllowed)
{
    if (path.isEmpty())
        return invalid(QStringLiteral("No %1 was given.").arg(what));
    const QFileInfo info(path);
    if (!info.isAbsolute())
        return invalid(QStringLiteral("The %1 path \"%2\" is not absolute.").arg(what, path));
    if (!info.exists())
        return invalid(QStringLiteral("The %1 \"%2\" does not exist.").arg(what, path));
    struct stat status {
    };
    const bool isBlockDevice
        = blockDeviceAllowed && ::stat(QFile::encodeName(path).constData(), &status) == 0 && S_ISBLK(status.st_mode);
    if (!info.isFile() && !isBlockDevice)
        return invalid(QStringLiteral("The %1 \"%2\" is not a regular file.").arg(what, path));
    // Not opened here: the helper never opens a caller's path as root. Whether its owner can
    // open it is found at every start, by opening it as the owner (ownerfiles.h).
    if (info.isFile() && info.size() == 0)
        return invalid(QStringLiteral("The %1 \"%2\" is empty.").arg(what, path));
    return std::nullopt;
}

} // namespace

QString toString(VmSource source)
{
    switch (source) {
    case VmSource::Tiny:
        return QStringLiteral("tiny");
    case VmSource::Iso:
        return QStringLiteral("iso");
    case VmSource::Disk:
        return QStringLiteral("disk");
    case VmSource::Kernel:
        return QStringLiteral("kernel");
    case VmSource::Image:
        return QStringLiteral("image");
    }
    return {};
}

QString toString(Accelerator accelerator)
{
    return accelerator == Accelerator::Kvm ? QStringLiteral("kvm") : QStringLiteral("tcg");
}

QString toString(DiskFormat format)
{
    return format == DiskFormat::Qcow2 ? QStringLiteral("qcow2") : QStringLiteral("raw");
}

QString toString(VmNetwork network)
{
    switch (network) {
    case VmNetwork::None:
        return QStringLiteral("none");
    case VmNetwork::Nat:
        return QStringLiteral("nat");
    case VmNetwork::User:
        return QStringLiteral("user");
    }
    return {};
}

std::optional<VmNetwork> parseVmNetwork(const QString &text)
{
    for (VmNetwork network : {VmNetwork::None, VmNetwork::Nat, VmNetwork::User}) {
        if (text == toString(network))
            return network;
    }
    return std::nullopt;
}

std::optional<VmSource> parseVmSource(const QString &text)
{
    for (VmSource source : {VmSource::Tiny, VmSource::Iso, VmSource::Disk, VmSource::Kernel, VmSource::Image}) {
        if (text == toString(source))
            return source;
    }
    return std::nullopt;
}

std::optional<Accelerator> parseAccelerator(const QString &text)
{
    if (text == QStringLiteral("kvm"))
        return Accelerator::Kvm;
    if (text == QStringLiteral("tcg"))
        return Accelerator::Tcg;
    return std::nullopt;
}

quint64 defaultMemoryBytes(VmSource source)
{
    switch (source) {
    case VmSource::Tiny:
        return 128ULL << 20;
    case VmSource::Kernel:
    case VmSource::Image:
        return 256ULL << 20;
    case VmSource::Iso:
    case VmSource::Disk:
        return 2ULL << 30;
    }
    return 0;
}

QString humanBytes(quint64 bytes)
{
    if (bytes >= (1ULL << 30))
        return QStringLiteral("%1 GiB").arg(static_cast<double>(bytes) / (1ULL << 30), 0, 'f', 1);
    if (bytes >= (1ULL << 20))
        return QStringLiteral("%1 MiB").arg(bytes >> 20);
    return QStringLiteral("%1 bytes").arg(bytes);
}

Result<VmSpec> vmSpecFromVariantMap(const QString &name, const QVariantMap &map, Accelerator hostAccelerator)
{
    static const QSet<QString> known
        = {QStringLiteral("source"),    QStringLiteral("memory"),    QStringLiteral("vcpus"),
           QStringLiteral("diskSize"),  QStringLiteral("iso"),       QStringLiteral("disk"),
           QStringLiteral("kernel"),    QStringLiteral("initrd"),    QStringLiteral("cmdline"),
           QStringLiteral("osVariant"), QStringLiteral("autostart"), QStringLiteral("accelerator"),
           QStringLiteral("network"),   QStringLiteral("image"),     QStringLiteral("command"),
           QStringLiteral("cpus")};
    for (auto it = map.cbegin(); it != map.cend(); ++it) {
        if (!known.contains(it.key()))
            return invalid(QStringLiteral("Unknown VM option \"%1\"; known options are %2.")
                               .arg(it.key(), QStringList(known.cbegin(), known.cend()).join(QStringLiteral(", "))));
    }
    auto stringOf = [&map](const QString &key, QString *out) -> std::optional<ErrorReply> {
        if (!map.contains(key))
            return std::nullopt;
        if (map.value(key).metaType().id() != QMetaType::QString)
            return invalid(QStringLiteral("The VM option \"%1\" must be a string.").arg(key));
        *out = map.value(key).toString();
        return std::nullopt;
    };
    auto numberOf = [&map](const QString &key, quint64 *out) -> std::optional<ErrorReply> {
        if (!map.contains(key))
            return std::nullopt;
        const std::optional<quint64> value = unsignedValue(map.value(key));
        if (!value)
            return invalid(QStringLiteral("The VM option \"%1\" must be a non-negative integer.").arg(key));
        *out = *value;
        return std::nullopt;
    };

    VmSpec spec;
    spec.name = name;
    spec.accelerator = hostAccelerator;
    QString sourceText = QStringLiteral("tiny");
    if (auto problem = stringOf(QStringLiteral("source"), &sourceText))
        return *problem;
    const std::optional<VmSource> source = parseVmSource(sourceText);
    if (!source)
        return invalid(
            QStringLiteral("Unknown VM source \"%1\"; use tiny, iso, disk, kernel or image.").arg(sourceText));
    spec.source = *source;

    quint64 memory = defaultMemoryBytes(spec.source);
    quint64 vcpus = 1;
    spec.diskSizeBytes = spec.source == VmSource::Iso ? DefaultDiskSizeBytes : 0;
    QString acceleratorText = toString(hostAccelerator);
    QString networkText = toString(VmNetwork::None);
    for (const auto &[key, target] :
         {std::pair {QStringLiteral("memory"), &memory}, std::pair {QStringLiteral("vcpus"), &vcpus},
          std::pair {QStringLiteral("diskSize"), &spec.diskSizeBytes}}) {
        if (auto problem = numberOf(key, target))
            return *problem;
    }
    // A container's limits map onto a VM's: cpus (cores, may be fractional) becomes whole vCPUs.
    if (map.contains(QStringLiteral("cpus")) && !map.contains(QStringLiteral("vcpus"))) {
        bool ok = false;
        const double cpus = map.value(QStringLiteral("cpus")).toDouble(&ok);
        if (!ok || cpus <= 0 || map.value(QStringLiteral("cpus")).metaType().id() == QMetaType::QString)
            return invalid(QStringLiteral("The VM option \"cpus\" must be a positive number."));
        vcpus = static_cast<quint64>(std::ceil(cpus));
    }
    if (vcpus > std::numeric_limits<uint>::max())
        return invalid(QStringLiteral("%1 vCPUs is not a number of vCPUs.").arg(vcpus));
    spec.memoryBytes = memory;
    spec.vcpus = static_cast<uint>(vcpus);
    for (const auto &[key, target] :
         {std::pair {QStringLiteral("iso"), &spec.isoPath}, std::pair {QStringLiteral("disk"), &spec.diskPath},
          std::pair {QStringLiteral("kernel"), &spec.kernelPath},
          std::pair {QStringLiteral("initrd"), &spec.initrdPath}, std::pair {QStringLiteral("cmdline"), &spec.cmdline},
          std::pair {QStringLiteral("osVariant"), &spec.osVariant},
          std::pair {QStringLiteral("accelerator"), &acceleratorText}, std::pair {QStringLiteral("image"), &spec.image},
          std::pair {QStringLiteral("network"), &networkText}}) {
        if (auto problem = stringOf(key, target))
            return *problem;
    }
    const std::optional<Accelerator> accelerator = parseAccelerator(acceleratorText);
    if (!accelerator)
        return invalid(QStringLiteral("Unknown accelerator \"%1\"; use kvm or tcg.").arg(acceleratorText));
    spec.accelerator = *accelerator;
    const std::optional<VmNetwork> network = parseVmNetwork(networkText);
    if (!network)
        return invalid(QStringLiteral("Unknown VM network \"%1\"; use nat, none or user.").arg(networkText));
    spec.network = *network;
    if (map.contains(QStringLiteral("command"))) {
        if (map.value(QStringLiteral("command")).metaType().id() != QMetaType::QStringList)
            return invalid(QStringLiteral("The VM option \"command\" must be a list of strings."));
        spec.command = map.value(QStringLiteral("command")).toStringList();
    }
    if ((!spec.image.isEmpty() || !spec.command.isEmpty()) && spec.source != VmSource::Image)
        return invalid(QStringLiteral("The VM options \"image\" and \"command\" go with source \"image\"."));
    if (map.contains(QStringLiteral("autostart"))) {
        if (map.value(QStringLiteral("autostart")).metaType().id() != QMetaType::Bool)
            return invalid(QStringLiteral("The VM option \"autostart\" must be a boolean."));
        spec.autostart = map.value(QStringLiteral("autostart")).toBool();
    }
    return spec;
}

std::optional<ErrorReply> vmSpecProblem(const VmSpec &spec, const HostLimits &host)
{
    if (const QString problem = instanceNameProblem(spec.name); !problem.isEmpty())
        return invalid(problem);
    if (spec.memoryBytes == 0)
        return invalid(QStringLiteral("The VM \"%1\" has no memory: give it at least %2.")
                           .arg(spec.name, humanBytes(defaultMemoryBytes(spec.source))));
    if (spec.memoryBytes > host.memoryBytes)
        return invalid(QStringLiteral("The VM \"%1\" asks for %2 of memory but this host has %3.")
                           .arg(spec.name, humanBytes(spec.memoryBytes), humanBytes(host.memoryBytes)));
    if (spec.vcpus == 0)
        return invalid(QStringLiteral("The VM \"%1\" has no vCPUs: give it at least 1.").arg(spec.name));
    if (spec.vcpus > host.cpus)
        return invalid(QStringLiteral("The VM \"%1\" asks for %2 vCPUs but this host has %3 CPUs.")
                           .arg(spec.name)
                           .arg(spec.vcpus)
                           .arg(host.cpus));
    if (spec.maxVcpus != 0 && (spec.maxVcpus < spec.vcpus || spec.maxVcpus > host.cpus))
        return invalid(QStringLiteral("The VM \"%1\" allows up to %2 vCPUs, which is not between %3 and the "
                                      "host's %4 CPUs.")
                           .arg(spec.name)
                           .arg(spec.maxVcpus)
                           .arg(spec.vcpus)
                           .arg(host.cpus));
    if (spec.accelerator == Accelerator::Kvm && !host.kvmWorks)
        return failure(Error::Unsupported,
                       QStringLiteral("KVM does not work on this host, so the VM \"%1\" cannot use it; leave the "
                                      "accelerator out to run it under TCG (slower).")
                           .arg(spec.name));

    switch (spec.source) {
    case VmSource::Image:
        if (spec.image.isEmpty())
            return invalid(QStringLiteral("The VM \"%1\" has source \"image\" but no image: add image=NAME (see "
                                          "ListImages).")
                               .arg(spec.name));
        [[fallthrough]];
    case VmSource::Tiny:
        if (spec.kernelPath.isEmpty())
            return failure(Error::Unsupported,
                           QStringLiteral("No bootable kernel was found in /boot for the %1 VM; install a "
                                          "kernel package such as linux-image-amd64.")
                               .arg(toString(spec.source)));
        return unreadableFileProblem(QStringLiteral("host kernel"), spec.kernelPath, false);
    case VmSource::Kernel:
        if (auto problem = unreadableFileProblem(QStringLiteral("kernel"), spec.kernelPath, false))
            return problem;
        if (!spec.initrdPath.isEmpty())
            return unreadableFileProblem(QStringLiteral("initrd"), spec.initrdPath, false);
        return std::nullopt;
    case VmSource::Iso:
        if (spec.diskSizeBytes < (1ULL << 20))
            return invalid(QStringLiteral("The disk of the VM \"%1\" would be %2; give it at least 1 MiB.")
                               .arg(spec.name, humanBytes(spec.diskSizeBytes)));
        return unreadableFileProblem(QStringLiteral("installer ISO"), spec.isoPath, false);
    case VmSource::Disk:
        return unreadableFileProblem(QStringLiteral("disk image"), spec.diskPath, true);
    }
    return invalid(QStringLiteral("The VM \"%1\" has an unknown source.").arg(spec.name));
}

DiskFormat detectDiskFormat(const QString &path)
{
    QFile file(path);
    if (file.open(QIODevice::ReadOnly) && file.read(4) == QByteArray("QFI\xfb", 4))
        return DiskFormat::Qcow2;
    return DiskFormat::Raw;
}

} // namespace Hamlet::Vms
