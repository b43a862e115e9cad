#pragma once

#include "errors.h"
#include "result.h"

#include <QString>
#include <QVariantMap>

#include <optional>

namespace Hamlet::Vms {

// Where a VM's operating system comes from.
enum class VmSource {
    Tiny, // the host's kernel plus an initramfs Hamlet generates: boots with no download
    Iso, // an installer ISO on a CD drive, with a new qcow2 disk in STATE to install onto
    Disk, // an existing disk image (qcow2 or raw), used in place
    Kernel, // direct kernel boot: kernel, optional initrd and command line
    // An image of the store as a micro-VM: the host's kernel, an initramfs Hamlet generates, and
    // the image's merged layers on an ext4 disk (cached per image digest) under a qcow2 overlay
    // of the VM's own (imagedisk.h, imageinitramfs.h).
    Image,
};
enum class Accelerator { Kvm, Tcg };
enum class DiskFormat { Qcow2, Raw };
// The VM's NIC: none, a virtio NIC on the Hamlet network's bridge (an address reserved by MAC in
// its dnsmasq), or QEMU's user networking (no bridge needed, no name on the Hamlet network).
enum class VmNetwork { None, Nat, User };

QString toString(VmSource source);
QString toString(Accelerator accelerator);
QString toString(DiskFormat format);
QString toString(VmNetwork network);
std::optional<VmNetwork> parseVmNetwork(const QString &text);
std::optional<VmSource> parseVmSource(const QString &text);
std::optional<Accelerator> parseAccelerator(const QString &text);

// Everything the domain XML is made from. Paths are absolute; sizes are bytes.
struct VmSpec {
    QString name;
    VmSource source = VmSource::Tiny;
    quint64 memoryBytes = 0;
    uint vcpus = 0;
    // Upper bound for vCPUs added to a running guest by SetLimits; 0 means the same as vcpus.
    uint maxVcpus = 0;
    Accelerator accelerator = Accelerator::Tcg;
    QString kernelPath;
    QString initrdPath;
    QString cmdline;
    QString diskPath;
    DiskFormat diskFormat = DiskFormat::Qcow2;
    quint64 diskSizeBytes = 0; // iso only: size of the disk Hamlet creates
    bool diskOwnedByHamlet = false; // true when Hamlet created the disk (and Delete removes it)
    QString isoPath;
    QString osVariant; // libosinfo short id, kept in the metadata for the GUI
    bool autostart = false; // started by the helper once per boot (see VmBackend::autostart)
    // The uid whose own credentials open the kernel, initrd, disk and ISO at every start (see
    // ownerfiles.h); recorded in the domain's Hamlet metadata as <hamlet:ownerUid>. The instance
    // owner of the 'trust' work: one number for both once merged.
    uint ownerUid = 0;
    // Where the VM's kernel and initrd are copied at every start, readable by QEMU's user (the
    // copies are the helper's own files, so neither the owner's file nor /boot is chowned by
    // libvirt or reopened by QEMU). "" writes kernelPath and initrdPath into the XML as they are.
    QString guestFilesDir;
    VmNetwork network = VmNetwork::None;
    QString bridge; // nat: the Hamlet network's bridge, set by the helper
    QString mac; // nat: the NIC's MAC, chosen at create and reserved in the network's dnsmasq
    // image: the reference as asked ("busybox", "alpine"); the rest is filled in by the helper from
    // the store: the manifest digest, the ext4 disk the overlay diskPath is made on, and how the
    // init runs the image's program. command (spec key) replaces the image's Cmd, as for containers.
    QString image;
    QStringList command;
    QString imageDigest;
    QString baseDiskPath;
    QStringList imageLayers; // unpacked layer directories, bottom first; not in the XML
    QStringList imageArgv; // entrypoint + cmd (or command)
    QStringList imageEnv; // "KEY=value"
    QString imageWorkdir;
    QString consoleLog; // image: the serial console is also written here (the init's markers)

    friend bool operator==(const VmSpec &, const VmSpec &) = default;
};

// What the host allows: the bounds a spec is checked against.
struct HostLimits {
    quint64 memoryBytes = 0;
    uint cpus = 0;
    bool kvmWorks = false;
};

// Defaults for keys a caller leaves out, per source (a tiny VM needs far less than an installer).
quint64 defaultMemoryBytes(VmSource source);
inline constexpr quint64 DefaultDiskSizeBytes = 20ULL << 30;

// Reads CreateVm's a{sv} (keys: source, memory, vcpus, diskSize, iso, disk, kernel, initrd,
// cmdline, osVariant, autostart, accelerator, image, command, network: none when left out, the bus default is the
// helper's). Unknown keys and wrongly typed values are refused
// so a typo never silently becomes a default. Does not look at files: see vmSpecProblem.
Result<VmSpec> vmSpecFromVariantMap(const QString &name, const QVariantMap &map, Accelerator hostAccelerator);

// The first reason this spec cannot become a VM on this host (bad name, memory or vCPUs out of
// range, a missing or unreadable kernel, ISO or disk), or nullopt when it can.
std::optional<ErrorReply> vmSpecProblem(const VmSpec &spec, const HostLimits &host);

// qcow2 when the file starts with the qcow2 magic, else raw (QEMU's own rule for untyped images).
DiskFormat detectDiskFormat(const QString &path);

// "128 MiB", "2.0 GiB": sizes in messages for a person.
QString humanBytes(quint64 bytes);

} // namespace Hamlet::Vms
