#include "archiveformat.h"

#include <QCoreApplication>
#include <QFile>

namespace Hamlet {

namespace {
constexpr int Block = 512;
constexpr int MaxEntries = 20000; // enough for any image archive; a bound for a huge rootfs

QString tr(const char *text)
{
    return QCoreApplication::translate("Hamlet::ArchiveFormat", text);
}

QString field(const QByteArray &header, int offset, int length)
{
    const QByteArray bytes = header.mid(offset, length);
    const qsizetype end = bytes.indexOf('\0');
    return QString::fromUtf8(end < 0 ? bytes : bytes.left(end));
}

qint64 octal(const QByteArray &header, int offset, int length)
{
    bool ok = false;
    const qint64 value = field(header, offset, length).trimmed().toLongLong(&ok, 8);
    return ok ? value : -1;
}

bool isCompressed(const QByteArray &start)
{
    return start.startsWith("\x1f\x8b") // gzip
        || start.startsWith("\xfd"
                            "7zXZ") // xz
        || start.startsWith("\x28\xb5\x2f\xfd") // zstd
        || start.startsWith("BZh"); // bzip2
}
} // namespace

ArchiveGuess guessArchiveFormat(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {QString(), tr("Cannot read it: %1.").arg(file.errorString())};
    const QByteArray first = file.peek(Block);
    if (isCompressed(first))
        return {QStringLiteral("rootfs"), tr("A compressed tarball: most likely a root filesystem.")};
    bool sawOciLayout = false;
    QString longName;
    for (int entry = 0; entry < MaxEntries; ++entry) {
        const QByteArray header = file.read(Block);
        if (header.size() < Block || header.count('\0') == Block)
            break;
        if (header.mid(257, 5) != "ustar" && octal(header, 148, 8) < 0)
            return {QStringLiteral("rootfs"),
                    tr("Not a tar archive Hamlet can look into: taken for a root filesystem.")};
        const QString prefix = header.mid(257, 5) == "ustar" ? field(header, 345, 155) : QString();
        QString name = field(header, 0, 100);
        if (!longName.isEmpty())
            name = longName;
        else if (!prefix.isEmpty())
            name = prefix + QLatin1Char('/') + name;
        longName.clear();
        const qint64 size = octal(header, 124, 12);
        if (size < 0)
            break;
        const char type = header.at(156);
        if (type == 'L') { // GNU long name: the next entry's name is this entry's data
            longName = QString::fromUtf8(file.read(size)).section(QLatin1Char('\0'), 0, 0);
            file.seek(file.pos() + ((Block - size % Block) % Block));
            continue;
        }
        if (name.startsWith(QLatin1String("./")))
            name = name.mid(2);
        if (name == QLatin1String("manifest.json"))
            return {QStringLiteral("docker-archive"), tr("It has a manifest.json: a docker save archive.")};
        if (name == QLatin1String("oci-layout"))
            sawOciLayout = true;
        if (!file.seek(file.pos() + (size + Block - 1) / Block * Block))
            break;
    }
    if (sawOciLayout)
        return {QStringLiteral("oci-archive"), tr("It has an oci-layout file: an OCI image archive.")};
    return {QStringLiteral("rootfs"), tr("No image manifest inside: a root filesystem tarball.")};
}

} // namespace Hamlet
