#include "domainxml.h"

#include <QXmlStreamWriter>

namespace Hamlet::Vms {

namespace {

// The machine for every VM: q35 gives PCIe, SATA CD drives and vCPU hotplug; every guest Hamlet
// boots (Linux since 2.6, Windows since 7, the BSDs) supports it.
const QString MachineType = QStringLiteral("q35");

QString kibibytes(quint64 bytes)
{
    return QString::number((bytes + 1023) / 1024);
}

void writeTextElement(QXmlStreamWriter &xml, const QString &name, const QString &text,
                      std::initializer_list<std::pair<QString, QString>> attributes = {})
{
    xml.writeStartElement(name);
    for (const auto &[key, value] : attributes)
        xml.writeAttribute(key, value);
    xml.writeCharacters(text);
    xml.writeEndElement();
}

void writeEmpty(QXmlStreamWriter &xml, const QString &name,
                std::initializer_list<std::pair<QString, QString>> attributes = {})
{
    xml.writeEmptyElement(name);
    for (const auto &[key, value] : attributes)
        xml.writeAttribute(key, value);
}

void writeMetadata(QXmlStreamWriter &xml, const VmSpec &spec)
{
    // libvirt keeps one element per namespace under <metadata>, and wants the namespace declared
    // on that element itself: declared on <metadata> it would be lost on the way through libvirt.
    xml.writeStartElement(QStringLiteral("metadata"));
    xml.writeStartElement(QStringLiteral("hamlet:vm"));
    xml.writeAttribute(QStringLiteral("xmlns:hamlet"), HamletMetadataNamespace);
    xml.writeTextElement(QStringLiteral("hamlet:source"), toString(spec.source));
    if (spec.diskOwnedByHamlet && !spec.diskPath.isEmpty())
        xml.writeTextElement(QStringLiteral("hamlet:ownedDisk"), spec.diskPath);
    if (!spec.osVariant.isEmpty())
        xml.writeTextElement(QStringLiteral("hamlet:osVariant"), spec.osVariant);
    // Who opens the files at every start, and the files as given (the XML names staged copies).
    xml.writeTextElement(QStringLiteral("hamlet:ownerUid"), QString::number(spec.ownerUid));
    if (spec.source == VmSource::Kernel) {
        xml.writeTextElement(QStringLiteral("hamlet:kernel"), spec.kernelPath);
        if (!spec.initrdPath.isEmpty())
            xml.writeTextElement(QStringLiteral("hamlet:initrd"), spec.initrdPath);
    }
    if (spec.source == VmSource::Image) {
        xml.writeTextElement(QStringLiteral("hamlet:image"), spec.image);
        xml.writeTextElement(QStringLiteral("hamlet:imageDigest"), spec.imageDigest);
    }
    if (spec.autostart)
        xml.writeTextElement(QStringLiteral("hamlet:autostart"), QStringLiteral("yes"));
    if (spec.network != VmNetwork::None) // absent means none, as in VMs made before NICs
        xml.writeTextElement(QStringLiteral("hamlet:network"), toString(spec.network));
    xml.writeEndElement();
    xml.writeEndElement();
}

QString bootFilePath(const VmSpec &spec, const QString &key, const QString &given)
{
    return spec.guestFilesDir.isEmpty() ? given : spec.guestFilesDir + QLatin1Char('/') + key;
}

// A disk QEMU reaches only through the fd the helper opened as the owner (virDomainFDAssociate
// with this group name): libvirt neither opens nor chowns the path, and an empty <backingStore/>
// tells it and QEMU there is no backing file to open.
void writeDiskSource(QXmlStreamWriter &xml, const QString &path, const QString &fdGroup)
{
    writeEmpty(xml, QStringLiteral("source"), {{QStringLiteral("file"), path}, {QStringLiteral("fdgroup"), fdGroup}});
    writeEmpty(xml, QStringLiteral("backingStore"));
}

void writeOs(QXmlStreamWriter &xml, const VmSpec &spec)
{
    xml.writeStartElement(QStringLiteral("os"));
    writeTextElement(xml, QStringLiteral("type"), QStringLiteral("hvm"),
                     {{QStringLiteral("arch"), QStringLiteral("x86_64")}, {QStringLiteral("machine"), MachineType}});
    switch (spec.source) {
    case VmSource::Tiny:
    case VmSource::Kernel:
    case VmSource::Image:
        xml.writeTextElement(QStringLiteral("kernel"), bootFilePath(spec, QStringLiteral("kernel"), spec.kernelPath));
        if (!spec.initrdPath.isEmpty())
            xml.writeTextElement(QStringLiteral("initrd"),
                                 bootFilePath(spec, QStringLiteral("initrd"), spec.initrdPath));
        if (!spec.cmdline.isEmpty())
            xml.writeTextElement(QStringLiteral("cmdline"), spec.cmdline);
        break;
    case VmSource::Iso:
        // The new disk first: while it holds no boot loader the firmware falls through to the CD,
        // and once the installer has written one the VM boots the installed system, with no
        // change to the definition.
        writeEmpty(xml, QStringLiteral("boot"), {{QStringLiteral("dev"), QStringLiteral("hd")}});
        writeEmpty(xml, QStringLiteral("boot"), {{QStringLiteral("dev"), QStringLiteral("cdrom")}});
        break;
    case VmSource::Disk:
        writeEmpty(xml, QStringLiteral("boot"), {{QStringLiteral("dev"), QStringLiteral("hd")}});
        break;
    }
    xml.writeEndElement();
}

void writeDisks(QXmlStreamWriter &xml, const VmSpec &spec)
{
    if (!spec.diskPath.isEmpty()) {
        xml.writeStartElement(QStringLiteral("disk"));
        xml.writeAttribute(QStringLiteral("type"), QStringLiteral("file"));
        xml.writeAttribute(QStringLiteral("device"), QStringLiteral("disk"));
        writeEmpty(xml, QStringLiteral("driver"),
                   {{QStringLiteral("name"), QStringLiteral("qemu")},
                    {QStringLiteral("type"), toString(spec.diskFormat)},
                    {QStringLiteral("discard"), QStringLiteral("unmap")}});
        if (spec.source == VmSource::Image) {
            // Hamlet's own files, named by path: the VM's overlay on the image's shared ext4
            // disk, which QEMU opens read-only as its backing file.
            writeEmpty(xml, QStringLiteral("source"), {{QStringLiteral("file"), spec.diskPath}});
            xml.writeStartElement(QStringLiteral("backingStore"));
            xml.writeAttribute(QStringLiteral("type"), QStringLiteral("file"));
            writeEmpty(xml, QStringLiteral("format"), {{QStringLiteral("type"), QStringLiteral("raw")}});
            writeEmpty(xml, QStringLiteral("source"), {{QStringLiteral("file"), spec.baseDiskPath}});
            writeEmpty(xml, QStringLiteral("backingStore"));
            xml.writeEndElement();
        } else {
            writeDiskSource(xml, spec.diskPath, DiskFdGroup);
        }
        writeEmpty(xml, QStringLiteral("target"),
                   {{QStringLiteral("dev"), QStringLiteral("vda")}, {QStringLiteral("bus"), QStringLiteral("virtio")}});
        xml.writeEndElement();
    }
    if (spec.source == VmSource::Iso) {
        xml.writeStartElement(QStringLiteral("disk"));
        xml.writeAttribute(QStringLiteral("type"), QStringLiteral("file"));
        xml.writeAttribute(QStringLiteral("device"), QStringLiteral("cdrom"));
        writeEmpty(xml, QStringLiteral("driver"),
                   {{QStringLiteral("name"), QStringLiteral("qemu")}, {QStringLiteral("type"), QStringLiteral("raw")}});
        writeDiskSource(xml, spec.isoPath, CdromFdGroup);
        writeEmpty(xml, QStringLiteral("target"),
                   {{QStringLiteral("dev"), QStringLiteral("sda")}, {QStringLiteral("bus"), QStringLiteral("sata")}});
        writeEmpty(xml, QStringLiteral("readonly"));
        xml.writeEndElement();
    }
}

// A virtio NIC: on the Hamlet bridge (libvirt makes the tap and enslaves it, with the embedded
// driver and libvirtd alike; the MAC is fixed so the DHCP reservation finds it at every start),
// or on QEMU's user network.
void writeInterface(QXmlStreamWriter &xml, const VmSpec &spec)
{
    if (spec.network == VmNetwork::None)
        return;
    xml.writeStartElement(QStringLiteral("interface"));
    if (spec.network == VmNetwork::Nat) {
        xml.writeAttribute(QStringLiteral("type"), QStringLiteral("bridge"));
        if (!spec.mac.isEmpty())
            writeEmpty(xml, QStringLiteral("mac"), {{QStringLiteral("address"), spec.mac}});
        writeEmpty(xml, QStringLiteral("source"), {{QStringLiteral("bridge"), spec.bridge}});
    } else {
        xml.writeAttribute(QStringLiteral("type"), QStringLiteral("user"));
    }
    writeEmpty(xml, QStringLiteral("model"), {{QStringLiteral("type"), QStringLiteral("virtio")}});
    // No PXE option ROM: Hamlet's VMs boot from a kernel, a disk or a CD, and without it QEMU
    // needs no ipxe package and the firmware does not try the network first.
    writeEmpty(xml, QStringLiteral("rom"), {{QStringLiteral("enabled"), QStringLiteral("no")}});
    xml.writeEndElement();
}

void writeConsole(QXmlStreamWriter &xml, const VmSpec &spec)
{
    xml.writeStartElement(QStringLiteral("serial"));
    xml.writeAttribute(QStringLiteral("type"), QStringLiteral("pty"));
    // An image VM's console is also kept in a file: its program's output from the first line,
    // and the init's markers the helper reads when the VM stops.
    if (!spec.consoleLog.isEmpty())
        writeEmpty(xml, QStringLiteral("log"),
                   {{QStringLiteral("file"), spec.consoleLog}, {QStringLiteral("append"), QStringLiteral("off")}});
    writeEmpty(xml, QStringLiteral("target"), {{QStringLiteral("port"), QStringLiteral("0")}});
    xml.writeEndElement();
    xml.writeStartElement(QStringLiteral("console"));
    xml.writeAttribute(QStringLiteral("type"), QStringLiteral("pty"));
    writeEmpty(xml, QStringLiteral("target"),
               {{QStringLiteral("type"), QStringLiteral("serial")}, {QStringLiteral("port"), QStringLiteral("0")}});
    xml.writeEndElement();
}

void writeDisplay(QXmlStreamWriter &xml, const VmSpec &spec)
{
    const bool hasDisplay = spec.source == VmSource::Iso || spec.source == VmSource::Disk;
    if (!hasDisplay) {
        // Without this libvirt adds a default video card nobody can look at.
        xml.writeStartElement(QStringLiteral("video"));
        writeEmpty(xml, QStringLiteral("model"), {{QStringLiteral("type"), QStringLiteral("none")}});
        xml.writeEndElement();
        return;
    }
    // An absolute pointer, so the VNC cursor and the guest's agree without grabbing.
    writeEmpty(xml, QStringLiteral("input"),
               {{QStringLiteral("type"), QStringLiteral("tablet")}, {QStringLiteral("bus"), QStringLiteral("usb")}});
    xml.writeStartElement(QStringLiteral("graphics"));
    xml.writeAttribute(QStringLiteral("type"), QStringLiteral("vnc"));
    xml.writeAttribute(QStringLiteral("autoport"), QStringLiteral("no"));
    writeEmpty(xml, QStringLiteral("listen"), {{QStringLiteral("type"), QStringLiteral("none")}});
    xml.writeEndElement();
    // Standard VGA: every installer and firmware can draw on it.
    xml.writeStartElement(QStringLiteral("video"));
    writeEmpty(xml, QStringLiteral("model"), {{QStringLiteral("type"), QStringLiteral("vga")}});
    xml.writeEndElement();
}

} // namespace

QString domainXml(const VmSpec &spec)
{
    QString text;
    QXmlStreamWriter xml(&text);
    xml.setAutoFormatting(true);
    xml.setAutoFormattingIndent(2);

    xml.writeStartElement(QStringLiteral("domain"));
    xml.writeAttribute(QStringLiteral("type"),
                       spec.accelerator == Accelerator::Kvm ? QStringLiteral("kvm") : QStringLiteral("qemu"));
    xml.writeTextElement(QStringLiteral("name"), spec.name);
    writeMetadata(xml, spec);
    writeTextElement(xml, QStringLiteral("memory"), kibibytes(spec.memoryBytes),
                     {{QStringLiteral("unit"), QStringLiteral("KiB")}});
    writeTextElement(xml, QStringLiteral("currentMemory"), kibibytes(spec.memoryBytes),
                     {{QStringLiteral("unit"), QStringLiteral("KiB")}});
    const uint maxVcpus = std::max(spec.maxVcpus, spec.vcpus);
    xml.writeStartElement(QStringLiteral("vcpu"));
    xml.writeAttribute(QStringLiteral("placement"), QStringLiteral("static"));
    if (maxVcpus > spec.vcpus)
        xml.writeAttribute(QStringLiteral("current"), QString::number(spec.vcpus));
    xml.writeCharacters(QString::number(maxVcpus));
    xml.writeEndElement();
    writeOs(xml, spec);
    xml.writeStartElement(QStringLiteral("features"));
    writeEmpty(xml, QStringLiteral("acpi"));
    writeEmpty(xml, QStringLiteral("apic"));
    xml.writeEndElement();
    // Under KVM the guest sees the host's CPU; under TCG libvirt's default (qemu64) is the model
    // QEMU emulates fastest.
    if (spec.accelerator == Accelerator::Kvm)
        writeEmpty(xml, QStringLiteral("cpu"), {{QStringLiteral("mode"), QStringLiteral("host-passthrough")}});
    writeEmpty(xml, QStringLiteral("clock"), {{QStringLiteral("offset"), QStringLiteral("utc")}});
    // A guest that powers off is gone (State "stopped"), not rebooted behind the user's back.
    xml.writeTextElement(QStringLiteral("on_poweroff"), QStringLiteral("destroy"));
    xml.writeTextElement(QStringLiteral("on_reboot"), QStringLiteral("restart"));
    xml.writeTextElement(QStringLiteral("on_crash"), QStringLiteral("destroy"));

    xml.writeStartElement(QStringLiteral("devices"));
    writeDisks(xml, spec);
    writeInterface(xml, spec);
    writeConsole(xml, spec);
    writeDisplay(xml, spec);
    xml.writeStartElement(QStringLiteral("memballoon"));
    xml.writeAttribute(QStringLiteral("model"), QStringLiteral("virtio"));
    writeEmpty(xml, QStringLiteral("stats"), {{QStringLiteral("period"), QStringLiteral("1")}});
    xml.writeEndElement();
    xml.writeEndElement(); // devices

    xml.writeEndElement(); // domain
    return text.trimmed() + QLatin1Char('\n');
}

} // namespace Hamlet::Vms
