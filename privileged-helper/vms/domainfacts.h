#pragma once

#include <QList>
#include <QString>

#include <optional>

namespace Hamlet::Vms {

// What Inspect and Delete need to know about a defined domain, read back from libvirt's XML (the
// live XML of a running domain, so it shows what QEMU really got, such as the resolved machine).
struct DomainFacts {
    struct Disk {
        QString device; // "disk" or "cdrom"
        QString target; // "vda", "sda"
        QString source; // file path
        QString format; // "qcow2", "raw"
    };
    QString domainType; // "kvm" or "qemu"
    QString machine; // e.g. "pc-q35-7.2"
    QString kernel;
    QString initrd;
    QString cmdline;
    QList<Disk> disks;
    quint64 memoryBytes = 0;
    uint vcpus = 0; // current
    uint maxVcpus = 0;
    bool hasGraphics = false;
    // From Hamlet's <metadata>; empty for domains Hamlet did not create.
    QString hamletSource;
    QString hamletOwnedDisk;
    QString osVariant;
    std::optional<uint> ownerUid; // <hamlet:ownerUid>; absent in VMs made before owners were recorded
    QString givenKernel; // a kernel VM's kernel and initrd as the owner gave them (the XML has copies)
    QString givenInitrd;
    bool autostart = false;
    QString image; // <hamlet:image> and <hamlet:imageDigest>: the image an image VM was made from
    QString imageDigest;
    QString consoleLog; // <serial><log file>: where an image VM's console is kept
    QString network; // <hamlet:network>: "nat", "none", "user"; empty in VMs made before NICs
    QString mac; // the first NIC's MAC and bridge, from <interface>
    QString bridge;

    QString accelerator() const
    {
        return domainType == QStringLiteral("kvm") ? QStringLiteral("kvm") : QStringLiteral("tcg");
    }
};

DomainFacts parseDomainFacts(const QString &domainXml);

// The release of an x86 Linux kernel image ("6.1.0-56-cloud-amd64"), read from its boot header
// (the kernel_version field of the boot protocol), or "" when the file is no bzImage.
QString kernelReleaseOf(const QString &bzImagePath);

} // namespace Hamlet::Vms
