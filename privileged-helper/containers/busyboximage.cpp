#include "busyboximage.h"

#include "logging.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>

#include <archive.h>
#include <archive_entry.h>
#include <memory>

namespace Hamlet::Containers::BusyboxImage {

namespace {

// Fixed so that the digests do not depend on when the image was built.
constexpr time_t kLayerTime = 0;
const QString kPath = QStringLiteral("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

struct Writer {
    std::unique_ptr<archive, decltype(&archive_write_free)> handle {archive_write_new(), &archive_write_free};
    QByteArray output;

    static la_ssize_t append(archive *, void *self, const void *buffer, size_t length)
    {
        static_cast<Writer *>(self)->output.append(static_cast<const char *>(buffer), static_cast<qsizetype>(length));
        return static_cast<la_ssize_t>(length);
    }

    bool add(const QByteArray &path, mode_t type, mode_t mode, const QByteArray &content = {},
             const QByteArray &linkTarget = {})
    {
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), &archive_entry_free);
        archive_entry_set_pathname(entry.get(), path.constData());
        archive_entry_set_filetype(entry.get(), type);
        archive_entry_set_perm(entry.get(), mode);
        archive_entry_set_uid(entry.get(), 0);
        archive_entry_set_gid(entry.get(), 0);
        archive_entry_set_uname(entry.get(), "root");
        archive_entry_set_gname(entry.get(), "root");
        archive_entry_set_mtime(entry.get(), kLayerTime, 0);
        if (type == AE_IFLNK)
            archive_entry_set_symlink(entry.get(), linkTarget.constData());
        if (type == AE_IFREG)
            archive_entry_set_size(entry.get(), content.size());
        if (archive_write_header(handle.get(), entry.get()) != ARCHIVE_OK)
            return false;
        return content.isEmpty()
            || archive_write_data(handle.get(), content.constData(), content.size()) == content.size();
    }
};

} // namespace

Result<QStringList> appletPaths(const QString &busyboxPath)
{
    QProcess process;
    process.start(busyboxPath, {QStringLiteral("--list-full")});
    if (!process.waitForFinished(10000) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        return failed(QStringLiteral("cannot list the applets of %1 (%2): install the Debian package "
                                     "'busybox-static'")
                          .arg(busyboxPath, process.errorString()));
    QStringList paths;
    for (const QByteArray &line : process.readAllStandardOutput().split('\n')) {
        const QString path = QString::fromUtf8(line.trimmed());
        // Trust but check: an applet path becomes a tar member name.
        if (path.isEmpty() || path.startsWith(QLatin1Char('/')) || path.contains(QStringLiteral("..")))
            continue;
        if (path != QStringLiteral("bin/busybox"))
            paths << path;
    }
    if (paths.isEmpty())
        return failed(QStringLiteral("%1 lists no applets: is it busybox?").arg(busyboxPath));
    return paths;
}

Result<QByteArray> buildLayer(const QString &busyboxPath, const QStringList &applets)
{
    QFile binary(busyboxPath);
    if (!binary.open(QIODevice::ReadOnly))
        return failed(QStringLiteral("cannot read %1 (%2): install the Debian package 'busybox-static'")
                          .arg(busyboxPath, binary.errorString()));
    const QByteArray busybox = binary.readAll();

    Writer writer;
    archive_write_set_format_ustar(writer.handle.get());
    archive_write_set_bytes_in_last_block(writer.handle.get(), 1);
    if (archive_write_open(writer.handle.get(), &writer, nullptr, &Writer::append, nullptr) != ARCHIVE_OK)
        return failed(QStringLiteral("cannot start the busybox layer: %1")
                          .arg(QString::fromUtf8(archive_error_string(writer.handle.get()))));

    bool ok = true;
    for (const char *dir : {"bin", "dev", "etc", "proc", "sbin", "sys", "usr", "usr/bin", "usr/sbin", "var"})
        ok = ok && writer.add(dir, AE_IFDIR, 0755);
    ok = ok && writer.add("root", AE_IFDIR, 0700);
    ok = ok && writer.add("tmp", AE_IFDIR, 01777);
    ok = ok && writer.add("var/tmp", AE_IFDIR, 01777);
    ok = ok && writer.add("bin/busybox", AE_IFREG, 0755, busybox);
    ok = ok
        && writer.add("etc/passwd", AE_IFREG, 0644,
                      "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
    ok = ok && writer.add("etc/group", AE_IFREG, 0644, "root:x:0:\nnobody:x:65534:\n");
    ok = ok && writer.add("etc/hosts", AE_IFREG, 0644, "127.0.0.1\tlocalhost\n::1\tlocalhost\n");
    QStringList sorted = applets;
    sorted.sort();
    sorted.removeDuplicates();
    for (const QString &applet : sorted)
        ok = ok && writer.add(QFile::encodeName(applet), AE_IFLNK, 0777, {}, "/bin/busybox");
    if (!ok || archive_write_close(writer.handle.get()) != ARCHIVE_OK)
        return failed(QStringLiteral("cannot write the busybox layer: %1")
                          .arg(QString::fromUtf8(archive_error_string(writer.handle.get()))));
    return writer.output;
}

Result<ImageInfo> ensure(ImageStore &store, const QString &busyboxPath)
{
    if (Result<ImageInfo> existing = store.image(kName); existing.ok()) {
        // A store from before sources were recorded: say where this one came from.
        if (existing->source.isEmpty())
            return store.tagManifest(kName, existing->manifestDigest, ImageSource::Builtin);
        return existing;
    }
    Log::containers()->info("building the built-in busybox image from {}", busyboxPath);
    const Result<QStringList> applets = appletPaths(busyboxPath);
    if (!applets)
        return applets.error();
    const Result<QByteArray> layer = buildLayer(busyboxPath, *applets);
    if (!layer)
        return layer.error();
    const Result<QString> layerDigest = store.putBlob(*layer);
    if (!layerDigest)
        return layerDigest.error();

    ImageConfig runConfig;
    runConfig.cmd = {QStringLiteral("/bin/sh")};
    runConfig.env = {kPath};
    const QJsonObject config {
        {QStringLiteral("architecture"), QStringLiteral("amd64")},
        {QStringLiteral("os"), QStringLiteral("linux")},
        {QStringLiteral("config"), runConfig.toConfigJson()},
        // An uncompressed layer: its diff id is its digest.
        {QStringLiteral("rootfs"),
         QJsonObject {{QStringLiteral("type"), QStringLiteral("layers")},
                      {QStringLiteral("diff_ids"), QJsonArray {*layerDigest}}}},
        {QStringLiteral("history"),
         QJsonArray {QJsonObject {
             {QStringLiteral("created_by"), QStringLiteral("hamlet: built-in image from %1").arg(busyboxPath)}}}},
    };
    const QByteArray configData = QJsonDocument(config).toJson(QJsonDocument::Compact);
    const Result<QString> configDigest = store.putBlob(configData);
    if (!configDigest)
        return configDigest.error();
    const QJsonObject manifest {
        {QStringLiteral("schemaVersion"), 2},
        {QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.manifest.v1+json")},
        {QStringLiteral("config"),
         QJsonObject {{QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.config.v1+json")},
                      {QStringLiteral("digest"), *configDigest},
                      {QStringLiteral("size"), configData.size()}}},
        {QStringLiteral("layers"),
         QJsonArray {
             QJsonObject {{QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.layer.v1.tar")},
                          {QStringLiteral("digest"), *layerDigest},
                          {QStringLiteral("size"), layer->size()}}}},
    };
    const Result<QString> manifestDigest = store.putBlob(QJsonDocument(manifest).toJson(QJsonDocument::Compact));
    if (!manifestDigest)
        return manifestDigest.error();
    return store.tagManifest(kName, *manifestDigest, ImageSource::Builtin);
}

} // namespace Hamlet::Containers::BusyboxImage
