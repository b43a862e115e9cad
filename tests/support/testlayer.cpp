#include "localregistry.h"

#include <QCryptographicHash>
#include <QFile>

#include <archive.h>
#include <archive_entry.h>
#include <memory>

namespace Hamlet::Test {

namespace {

la_ssize_t appendTo(archive *, void *output, const void *buffer, size_t length)
{
    static_cast<QByteArray *>(output)->append(static_cast<const char *>(buffer), static_cast<qsizetype>(length));
    return static_cast<la_ssize_t>(length);
}

// The tar stream of the files, compressed or not.
QByteArray writeTar(const QList<LayerFile> &files, Compression compression)
{
    QByteArray output;
    std::unique_ptr<archive, decltype(&archive_write_free)> writer(archive_write_new(), &archive_write_free);
    archive_write_set_format_pax_restricted(writer.get());
    if (compression == Compression::Gzip)
        archive_write_add_filter_gzip(writer.get());
    else if (compression == Compression::Zstd)
        archive_write_add_filter_zstd(writer.get());
    else
        archive_write_add_filter_none(writer.get());
    archive_write_set_bytes_in_last_block(writer.get(), 1);
    archive_write_open(writer.get(), &output, nullptr, appendTo, nullptr);
    for (const LayerFile &file : files) {
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), &archive_entry_free);
        archive_entry_set_pathname(entry.get(), file.path.constData());
        archive_entry_set_perm(entry.get(), static_cast<mode_t>(file.mode));
        archive_entry_set_uid(entry.get(), 0);
        archive_entry_set_gid(entry.get(), 0);
        archive_entry_set_mtime(entry.get(), 0, 0);
        switch (file.kind) {
        case LayerFile::File:
            archive_entry_set_filetype(entry.get(), AE_IFREG);
            archive_entry_set_size(entry.get(), file.content.size());
            break;
        case LayerFile::Directory:
            archive_entry_set_filetype(entry.get(), AE_IFDIR);
            break;
        case LayerFile::Symlink:
            archive_entry_set_filetype(entry.get(), AE_IFLNK);
            archive_entry_set_symlink(entry.get(), file.content.constData());
            break;
        }
        archive_write_header(writer.get(), entry.get());
        if (file.kind == LayerFile::File && !file.content.isEmpty())
            archive_write_data(writer.get(), file.content.constData(), static_cast<size_t>(file.content.size()));
    }
    archive_write_close(writer.get());
    return output;
}

} // namespace

QString sha256Digest(const QByteArray &data)
{
    return QStringLiteral("sha256:")
        + QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

QList<LayerFile> busyboxFiles()
{
    QFile busybox(QStringLiteral("/bin/busybox"));
    busybox.open(QIODevice::ReadOnly);
    QList<LayerFile> files {LayerFile::directory("bin"), LayerFile::file("bin/busybox", busybox.readAll(), 0755),
                            LayerFile::symlink("bin/sh", "busybox")};
    for (const char *dir : {"dev", "proc", "sys", "etc", "tmp", "root"})
        files << LayerFile::directory(dir);
    return files;
}

BuiltLayer buildLayer(const TestLayer &layer, ManifestFormat format)
{
    BuiltLayer built;
    const QByteArray tar = writeTar(layer.files, Compression::None);
    built.diffId = sha256Digest(tar);
    built.blob = layer.compression == Compression::None ? tar : writeTar(layer.files, layer.compression);
    built.digest = sha256Digest(built.blob);
    if (format == ManifestFormat::DockerV2) {
        built.mediaType = layer.compression == Compression::None
            ? QStringLiteral("application/vnd.docker.image.rootfs.diff.tar")
            : QStringLiteral("application/vnd.docker.image.rootfs.diff.tar.gzip");
    } else {
        const QString base = QStringLiteral("application/vnd.oci.image.layer.v1.tar");
        built.mediaType = layer.compression == Compression::Gzip ? base + QStringLiteral("+gzip")
            : layer.compression == Compression::Zstd             ? base + QStringLiteral("+zstd")
                                                                 : base;
    }
    return built;
}

} // namespace Hamlet::Test
