#include "domainfacts.h"

#include "domainxml.h"

#include <QFile>
#include <QXmlStreamReader>

namespace Hamlet::Vms {

namespace {

quint64 toBytes(quint64 value, const QString &unit)
{
    const QString u = unit.toLower();
    if (u == QStringLiteral("b") || u == QStringLiteral("bytes"))
        return value;
    if (u.isEmpty() || u == QStringLiteral("k") || u == QStringLiteral("kib"))
        return value << 10;
    if (u == QStringLiteral("kb"))
        return value * 1000;
    if (u == QStringLiteral("m") || u == QStringLiteral("mib"))
        return value << 20;
    if (u == QStringLiteral("g") || u == QStringLiteral("gib"))
        return value << 30;
    return value << 10;
}

} // namespace

DomainFacts parseDomainFacts(const QString &domainXml)
{
    DomainFacts facts;
    QXmlStreamReader xml(domainXml);
    QStringList path; // element names from the root, to tell <domain><os><kernel> from others
    DomainFacts::Disk disk;
    while (!xml.atEnd()) {
        const QXmlStreamReader::TokenType token = xml.readNext();
        if (token == QXmlStreamReader::EndElement) {
            if (path.join(QLatin1Char('/')) == QStringLiteral("domain/devices/disk"))
                facts.disks.append(disk);
            path.removeLast();
            continue;
        }
        if (token != QXmlStreamReader::StartElement)
            continue;
        path.append(xml.name().toString());
        const QString where = path.join(QLatin1Char('/'));
        const QXmlStreamAttributes attributes = xml.attributes();
        if (where == QStringLiteral("domain")) {
            facts.domainType = attributes.value(QStringLiteral("type")).toString();
        } else if (where == QStringLiteral("domain/os/type")) {
            facts.machine = attributes.value(QStringLiteral("machine")).toString();
        } else if (where == QStringLiteral("domain/memory")) {
            const QString unit = attributes.value(QStringLiteral("unit")).toString();
            facts.memoryBytes = toBytes(xml.readElementText().trimmed().toULongLong(), unit);
            path.removeLast();
        } else if (where == QStringLiteral("domain/vcpu")) {
            const QString current = attributes.value(QStringLiteral("current")).toString();
            facts.maxVcpus = xml.readElementText().trimmed().toUInt();
            facts.vcpus = current.isEmpty() ? facts.maxVcpus : current.toUInt();
            path.removeLast();
        } else if (where == QStringLiteral("domain/os/kernel") || where == QStringLiteral("domain/os/initrd")
                   || where == QStringLiteral("domain/os/cmdline")) {
            QString *target = where.endsWith(QStringLiteral("kernel")) ? &facts.kernel
                : where.endsWith(QStringLiteral("initrd"))             ? &facts.initrd
                                                                       : &facts.cmdline;
            *target = xml.readElementText();
            path.removeLast();
        } else if (where == QStringLiteral("domain/devices/disk")) {
            disk = DomainFacts::Disk {attributes.value(QStringLiteral("device")).toString(), {}, {}, {}};
        } else if (where == QStringLiteral("domain/devices/disk/source")) {
            disk.source = attributes.value(QStringLiteral("file")).toString();
            if (disk.source.isEmpty())
                disk.source = attributes.value(QStringLiteral("dev")).toString();
        } else if (where == QStringLiteral("domain/devices/disk/target")) {
            disk.target = attributes.value(QStringLiteral("dev")).toString();
        } else if (where == QStringLiteral("domain/devices/disk/driver")) {
            disk.format = attributes.value(QStringLiteral("type")).toString();
        } else if (where == QStringLiteral("domain/devices/interface/mac") && facts.mac.isEmpty()) {
            facts.mac = attributes.value(QStringLiteral("address")).toString();
        } else if (where == QStringLiteral("domain/devices/interface/source") && facts.bridge.isEmpty()) {
            facts.bridge = attributes.value(QStringLiteral("bridge")).toString();
        } else if (where == QStringLiteral("domain/devices/serial/log") && facts.consoleLog.isEmpty()) {
            facts.consoleLog = attributes.value(QStringLiteral("file")).toString();
        } else if (where == QStringLiteral("domain/devices/graphics")) {
            facts.hasGraphics = true;
        } else if (path.size() == 4 && path.at(1) == QStringLiteral("metadata")
                   && xml.namespaceUri() == HamletMetadataNamespace) {
            const QString name = xml.name().toString();
            const QString text = xml.readElementText();
            path.removeLast();
            if (name == QStringLiteral("source"))
                facts.hamletSource = text;
            else if (name == QStringLiteral("ownedDisk"))
                facts.hamletOwnedDisk = text;
            else if (name == QStringLiteral("osVariant"))
                facts.osVariant = text;
            else if (name == QStringLiteral("ownerUid")) {
                bool ok = false;
                const uint uid = text.toUInt(&ok);
                if (ok)
                    facts.ownerUid = uid;
            } else if (name == QStringLiteral("kernel"))
                facts.givenKernel = text;
            else if (name == QStringLiteral("initrd"))
                facts.givenInitrd = text;
            else if (name == QStringLiteral("autostart"))
                facts.autostart = text == QStringLiteral("yes");
            else if (name == QStringLiteral("network"))
                facts.network = text;
            else if (name == QStringLiteral("image"))
                facts.image = text;
            else if (name == QStringLiteral("imageDigest"))
                facts.imageDigest = text;
        }
    }
    return facts;
}

QString kernelReleaseOf(const QString &bzImagePath)
{
    QFile file(bzImagePath);
    if (!file.open(QIODevice::ReadOnly) || !file.seek(0x202) || file.read(4) != "HdrS" || !file.seek(0x20E))
        return {};
    const QByteArray pointer = file.read(2);
    if (pointer.size() != 2)
        return {};
    const quint16 offset = static_cast<quint8>(pointer.at(0)) | (static_cast<quint8>(pointer.at(1)) << 8);
    if (offset == 0 || !file.seek(qint64(offset) + 0x200))
        return {};
    // "6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP ...": the first word.
    const QByteArray version = file.read(256);
    return QString::fromLatin1(version.left(version.indexOf(' ')));
}

} // namespace Hamlet::Vms
