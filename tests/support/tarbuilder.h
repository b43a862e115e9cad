#pragma once

#include <QByteArray>
#include <QList>

#include <archive.h>
#include <archive_entry.h>
#include <sys/sysmacros.h>

// Builds tar archives in memory for tests, hostile ones included (names with "..", links out,
// device nodes): the archives are made by the test itself, never checked in.
namespace Hamlet::Test {

struct TarMember {
    QByteArray path;
    mode_t type = AE_IFREG;
    QByteArray content = {};
    QByteArray link = {}; // symlink target, or hardlink target when hardlink is set
    bool hardlink = false;
    mode_t mode = 0644;
};

enum class TarCompression { None, Gzip, Zstd, Xz };
// GNU tar takes names as raw bytes (pax insists on UTF-8): for names that are not UTF-8.
enum class TarFormat { Pax, Gnu };

// The members as a tar, compressed as asked.
inline QByteArray makeTar(const QList<TarMember> &members, TarCompression compression = TarCompression::None,
                          TarFormat format = TarFormat::Pax)
{
    archive *writer = archive_write_new();
    if (format == TarFormat::Gnu)
        archive_write_set_format_gnutar(writer);
    else
        archive_write_set_format_pax_restricted(writer);
    if (compression == TarCompression::Gzip)
        archive_write_add_filter_gzip(writer);
    else if (compression == TarCompression::Zstd)
        archive_write_add_filter_zstd(writer);
    else if (compression == TarCompression::Xz)
        archive_write_add_filter_xz(writer);
    qsizetype capacity = 64 * 1024;
    for (const TarMember &member : members)
        capacity += member.content.size() + member.path.size() + member.link.size() + 4096;
    QByteArray buffer(capacity, '\0');
    size_t used = 0;
    if (archive_write_open_memory(writer, buffer.data(), buffer.size(), &used) != ARCHIVE_OK)
        qFatal("archive_write_open_memory: %s", archive_error_string(writer));
    for (const TarMember &member : members) {
        archive_entry *entry = archive_entry_new();
        archive_entry_set_pathname(entry, member.path.constData());
        archive_entry_set_perm(entry, member.mode);
        archive_entry_set_mtime(entry, 1700000000, 0);
        if (member.hardlink) {
            archive_entry_set_hardlink(entry, member.link.constData());
            archive_entry_set_filetype(entry, AE_IFREG);
        } else {
            archive_entry_set_filetype(entry, member.type);
            if (member.type == AE_IFLNK)
                archive_entry_set_symlink(entry, member.link.constData());
            if (member.type == AE_IFCHR || member.type == AE_IFBLK)
                archive_entry_set_rdev(entry, makedev(1, 3));
            if (member.type == AE_IFREG)
                archive_entry_set_size(entry, member.content.size());
        }
        if (archive_write_header(writer, entry) != ARCHIVE_OK)
            qFatal("archive_write_header: %s", archive_error_string(writer));
        if (member.type == AE_IFREG && !member.hardlink && !member.content.isEmpty())
            archive_write_data(writer, member.content.constData(), member.content.size());
        archive_entry_free(entry);
    }
    archive_write_close(writer);
    archive_write_free(writer);
    buffer.truncate(static_cast<qsizetype>(used));
    return buffer;
}

} // namespace Hamlet::Test
