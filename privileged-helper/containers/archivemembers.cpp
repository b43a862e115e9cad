#include "archivemembers.h"

#include "failpoints.h"
#include "freespace.h"
#include "fsutil.h"
#include "imagestore.h"
#include "importsource.h"

#include <QFile>

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>

namespace Hamlet::Containers {

namespace {

struct Reader {
    ImportSource *source;
    QByteArray buffer = QByteArray(256 * 1024, Qt::Uninitialized);
};

la_ssize_t readFromSource(archive *handle, void *client, const void **data)
{
    auto *reader = static_cast<Reader *>(client);
    const ssize_t n = reader->source->read(reader->buffer.data(), static_cast<size_t>(reader->buffer.size()));
    if (n < 0) {
        archive_set_error(handle, EIO, "%s", reader->source->error().toUtf8().constData());
        return -1;
    }
    *data = reader->buffer.constData();
    return n;
}

// Collapses "." and "..", drops leading "/": a key, not a path. Empty when it climbs out.
QString normalizedKey(const QString &name)
{
    QStringList parts;
    for (const QString &part : name.split(QLatin1Char('/'), Qt::SkipEmptyParts)) {
        if (part == QStringLiteral("."))
            continue;
        if (part == QStringLiteral("..")) {
            if (parts.isEmpty())
                return {};
            parts.removeLast();
            continue;
        }
        parts << part;
    }
    return parts.join(QLatin1Char('/'));
}

QString directoryOf(const QString &key)
{
    const qsizetype slash = key.lastIndexOf(QLatin1Char('/'));
    return slash < 0 ? QString() : key.left(slash);
}

} // namespace

Result<QString> ArchiveMembers::cleanReference(const QString &name, const QString &where)
{
    if (name.isEmpty() || name.startsWith(QLatin1Char('/'))
        || name.split(QLatin1Char('/')).contains(QStringLiteral("..")) || name.contains(QChar(0)))
        return invalidArgument(
            QStringLiteral("%1 names \"%2\", which is not a plain name inside the archive: refusing the archive")
                .arg(where, name.left(200)));
    return normalizedKey(name);
}

Result<ArchiveMembers> ArchiveMembers::read(ImportSource &source, ImageStore &store, const Limits &limits)
{
    ArchiveMembers members;
    members.m_limits = limits;
    std::unique_ptr<archive, decltype(&archive_read_free)> handle(archive_read_new(), &archive_read_free);
    archive_read_support_format_tar(handle.get());
    archive_read_support_filter_gzip(handle.get());
    archive_read_support_filter_zstd(handle.get());
    archive_read_support_filter_xz(handle.get());
    Reader reader {&source};
    const auto broken = [&handle](const QString &what) {
        const QString reason = QString::fromUtf8(archive_error_string(handle.get()));
        if (reason == kImportCancelled)
            return failed(reason);
        return invalidArgument(QStringLiteral("%1: %2").arg(what, reason));
    };
    if (archive_read_open(handle.get(), &reader, nullptr, readFromSource, nullptr) != ARCHIVE_OK)
        return broken(QStringLiteral("the archive is not a readable tar file"));
    archive_entry *entry = nullptr;
    quint64 count = 0;
    // An archive from a pipe has no size to check up front: the spool checks as it grows.
    constexpr quint64 SpaceCheckBytes = 16ull << 20;
    quint64 spooled = 0;
    quint64 nextSpaceCheck = 0;
    while (true) {
        const int status = archive_read_next_header(handle.get(), &entry);
        if (status == ARCHIVE_EOF)
            break;
        if (status < ARCHIVE_WARN)
            return broken(count == 0 ? QStringLiteral("the archive is not a readable tar file")
                                     : QStringLiteral("the archive is damaged"));
        if (++count > limits.maxMembers)
            return invalidArgument(
                QStringLiteral("the archive has more than %1 members: refusing it").arg(limits.maxMembers));
        const QString key = normalizedKey(QString::fromUtf8(archive_entry_pathname(entry)));
        if (key.isEmpty())
            continue; // the root, or a name climbing out: nothing can refer to it
        if (const char *hardlink = archive_entry_hardlink(entry)) {
            members.m_links.insert(key, normalizedKey(QString::fromUtf8(hardlink)));
            continue;
        }
        if (archive_entry_filetype(entry) == AE_IFLNK) {
            const QString target = QString::fromUtf8(archive_entry_symlink(entry));
            // Relative to the link's directory; absolute targets mean the archive's root.
            const QString joined
                = target.startsWith(QLatin1Char('/')) ? target : directoryOf(key) + QLatin1Char('/') + target;
            members.m_links.insert(key, normalizedKey(joined));
            continue;
        }
        if (archive_entry_filetype(entry) != AE_IFREG)
            continue;
        auto writer = std::make_shared<BlobWriter>(store, limits.maxMemberBytes);
        if (Status opened = writer->open(); !opened)
            return opened.error();
        const void *block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        while (true) {
            const int read = archive_read_data_block(handle.get(), &block, &size, &offset);
            if (read == ARCHIVE_EOF)
                break;
            if (read < ARCHIVE_WARN)
                return broken(QStringLiteral("the archive is damaged at %1").arg(key));
            // Sparse members: a hostile offset must not make us write a huge hole.
            if (static_cast<quint64>(offset) != writer->size())
                return invalidArgument(
                    QStringLiteral("archive member %1 is sparse, which image archives never are").arg(key));
            if (spooled >= nextSpaceCheck) {
                if (const QString full = notEnoughSpace(store.root(), SpaceCheckBytes); !full.isEmpty())
                    return failed(QStringLiteral("cannot keep the archive: %1").arg(full));
                nextSpaceCheck = spooled + SpaceCheckBytes;
            }
            spooled += size;
            if (Status written = writer->write(static_cast<const char *>(block), static_cast<qint64>(size)); !written)
                return invalidArgument(QStringLiteral("archive member %1: %2").arg(key, written.error().message));
            if (std::optional<ErrorReply> failPoint = FailPoints::hit(FailPoints::ImportMidArchive))
                return *failPoint;
        }
        if (Status finished = writer->finish(); !finished)
            return finished.error();
        members.m_files.insert(key, std::move(writer));
    }
    return members;
}

BlobWriter *ArchiveMembers::find(const QString &name) const
{
    QString key = name;
    for (int hops = 0; hops < 16; ++hops) {
        if (auto file = m_files.find(key); file != m_files.end())
            return file->get();
        const auto link = m_links.find(key);
        if (link == m_links.end() || link->isEmpty())
            return nullptr;
        key = *link;
    }
    return nullptr; // a loop of links
}

Result<QJsonDocument> ArchiveMembers::json(const QString &name) const
{
    const BlobWriter *member = find(name);
    if (!member)
        return invalidArgument(QStringLiteral("the archive has no %1").arg(name));
    if (member->size() > m_limits.maxJsonBytes)
        return invalidArgument(QStringLiteral("%1 in the archive is larger than %2 bytes: refusing it")
                                   .arg(name)
                                   .arg(m_limits.maxJsonBytes));
    bool ok = false;
    const QByteArray data = readSmallFile(member->temporaryPath(), &ok);
    if (!ok)
        return failed(QStringLiteral("cannot read back %1 of the archive").arg(name));
    QJsonParseError error {};
    const QJsonDocument document = QJsonDocument::fromJson(data, &error);
    if (document.isNull())
        return invalidArgument(
            QStringLiteral("%1 in the archive is not valid JSON: %2").arg(name, error.errorString()));
    return document;
}

} // namespace Hamlet::Containers
