#include "layerblob.h"

#include "blobwriter.h"
#include "importprogress.h"

#include <QCryptographicHash>
#include <QFile>

#include <archive.h>
#include <archive_entry.h>
#include <memory>

namespace Hamlet::Containers::LayerBlob {

Compression detect(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Compression::None;
    const QByteArray magic = file.read(6);
    if (magic.startsWith("\x1f\x8b"))
        return Compression::Gzip;
    if (magic.startsWith("\x28\xb5\x2f\xfd"))
        return Compression::Zstd;
    if (magic.startsWith("\xfd"
                         "7zXZ"))
        return Compression::Xz;
    if (magic.startsWith("BZh"))
        return Compression::Bzip2;
    return Compression::None;
}

QString mediaType(Compression compression)
{
    switch (compression) {
    case Compression::Gzip:
        return QStringLiteral("application/vnd.oci.image.layer.v1.tar+gzip");
    case Compression::Zstd:
        return QStringLiteral("application/vnd.oci.image.layer.v1.tar+zstd");
    default:
        return QStringLiteral("application/vnd.oci.image.layer.v1.tar");
    }
}

Result<QString> uncompressedDigest(const QString &path, quint64 maxBytes, BlobWriter *sink,
                                   const ImportProgress &progress)
{
    std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(), &archive_read_free);
    archive_read_support_filter_gzip(reader.get());
    archive_read_support_filter_zstd(reader.get());
    archive_read_support_filter_xz(reader.get());
    archive_read_support_filter_bzip2(reader.get());
    archive_read_support_format_raw(reader.get());
    const auto damaged = [&reader](const QString &what) {
        return failed(QStringLiteral("a layer of the archive is damaged (%1): %2")
                          .arg(what, QString::fromUtf8(archive_error_string(reader.get()))));
    };
    if (archive_read_open_filename(reader.get(), QFile::encodeName(path).constData(), 256 * 1024) != ARCHIVE_OK)
        return damaged(QStringLiteral("cannot open it"));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    archive_entry *entry = nullptr;
    const int header = archive_read_next_header(reader.get(), &entry);
    if (header != ARCHIVE_EOF) { // an empty blob has no raw entry: its digest is the empty one
        if (header < ARCHIVE_WARN)
            return damaged(QStringLiteral("cannot decompress it"));
        QByteArray buffer(256 * 1024, Qt::Uninitialized);
        quint64 total = 0;
        while (true) {
            if (progress.isCancelled())
                return failed(QStringLiteral("The import was cancelled."));
            const la_ssize_t n = archive_read_data(reader.get(), buffer.data(), static_cast<size_t>(buffer.size()));
            if (n < 0)
                return damaged(QStringLiteral("cannot decompress it"));
            if (n == 0)
                break;
            total += static_cast<quint64>(n);
            if (total > maxBytes)
                return failed(
                    QStringLiteral("a layer of the archive unpacks to more than %1 bytes: refusing it").arg(maxBytes));
            hash.addData(QByteArrayView(buffer.constData(), n));
            if (sink) {
                if (Status written = sink->write(buffer.constData(), n); !written)
                    return written.error();
            }
        }
    }
    return QStringLiteral("sha256:") + QString::fromLatin1(hash.result().toHex());
}

} // namespace Hamlet::Containers::LayerBlob
