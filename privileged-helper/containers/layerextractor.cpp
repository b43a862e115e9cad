#include "layerextractor.h"

#include "fsutil.h"
#include "logging.h"
#include "sha256.h"

#include <QFile>

#include <archive.h>
#include <archive_entry.h>
#include <array>
#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace Hamlet::Containers {

namespace {

const QByteArray kWhiteoutPrefix = QByteArrayLiteral(".wh.");
const QByteArray kOpaqueMarker = QByteArrayLiteral(".wh..wh..opq");

using ArchivePtr = std::unique_ptr<archive, decltype(&archive_read_free)>;

// The unpack of one archive into an open root directory.
class Unpacker
{
public:
    Unpacker(archive *reader, int rootFd, const LayerExtractor::Limits &limits)
        : m_archive(reader)
        , m_root(rootFd)
        , m_limits(limits)
    { }

    Result<LayerExtractor::Stats> run();

private:
    Status entry(archive_entry *entry);
    // Splits a member name into safe components; refuses "..", overlong and empty names.
    Result<QList<QByteArray>> components(const char *name) const;
    // Opens (creating as needed) the directory holding the last component, beneath the root.
    Result<UniqueFd> openParent(const QList<QByteArray> &parts, bool create) const;
    Status removeExisting(int parentFd, const QByteArray &name, bool keepDirectory) const;
    Status writeRegular(int parentFd, const QByteArray &name, archive_entry *entry);
    Status applyMetadata(int parentFd, const QByteArray &name, archive_entry *entry, bool isSymlink) const;
    Status hardlink(int parentFd, const QByteArray &name, const char *target);
    ErrorReply entryError(const QString &what, int error) const
    {
        return failed(errnoMessage(what, QString::fromUtf8(m_current), error));
    }

    archive *m_archive;
    int m_root;
    LayerExtractor::Limits m_limits;
    LayerExtractor::Stats m_stats;
    QByteArray m_current;
};

Result<QList<QByteArray>> Unpacker::components(const char *name) const
{
    if (name == nullptr)
        return failed(QStringLiteral("layer entry without a name"));
    const QByteArray path(name);
    if (path.size() >= PATH_MAX)
        return failed(QStringLiteral("layer entry name is longer than %1 bytes: %2...")
                          .arg(PATH_MAX)
                          .arg(QString::fromUtf8(path.left(64))));
    QList<QByteArray> parts;
    for (const QByteArray &part : path.split('/')) {
        if (part.isEmpty() || part == ".")
            continue;
        if (part == "..")
            return failed(QStringLiteral("layer entry %1 climbs out with \"..\": refusing the layer")
                              .arg(QString::fromUtf8(path)));
        if (part.size() > NAME_MAX)
            return failed(QStringLiteral("layer entry %1 has a component longer than %2 bytes")
                              .arg(QString::fromUtf8(path.left(64)))
                              .arg(NAME_MAX));
        parts << part;
    }
    return parts;
}

Result<UniqueFd> Unpacker::openParent(const QList<QByteArray> &parts, bool create) const
{
    UniqueFd current(::fcntl(m_root, F_DUPFD_CLOEXEC, 0));
    for (qsizetype i = 0; i + 1 < parts.size(); ++i) {
        const QByteArray &part = parts.at(i);
        UniqueFd next(::openat(current.get(), part.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next.valid() && errno == ENOENT && create) {
            // Tar files need not list parent directories before their children.
            if (::mkdirat(current.get(), part.constData(), 0755) != 0 && errno != EEXIST)
                return entryError(QStringLiteral("cannot create a parent of"), errno);
            next.reset(::openat(current.get(), part.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        }
        if (!next.valid()) {
            if (errno == ELOOP || errno == ENOTDIR)
                return failed(QStringLiteral("layer entry %1 passes through a symlink or a file (%2): refusing the "
                                             "layer")
                                  .arg(QString::fromUtf8(m_current), QString::fromUtf8(part)));
            return entryError(QStringLiteral("cannot open a parent of"), errno);
        }
        current = std::move(next);
    }
    return current;
}

Status Unpacker::removeExisting(int parentFd, const QByteArray &name, bool keepDirectory) const
{
    struct stat existing {
    };
    if (::fstatat(parentFd, name.constData(), &existing, AT_SYMLINK_NOFOLLOW) != 0)
        return success();
    if (S_ISDIR(existing.st_mode)) {
        if (keepDirectory)
            return success();
        // A later entry replacing a directory of the same layer: only an empty one can go.
        if (::unlinkat(parentFd, name.constData(), AT_REMOVEDIR) != 0)
            return entryError(QStringLiteral("cannot replace directory"), errno);
        return success();
    }
    if (::unlinkat(parentFd, name.constData(), 0) != 0)
        return entryError(QStringLiteral("cannot replace"), errno);
    return success();
}

Status Unpacker::writeRegular(int parentFd, const QByteArray &name, archive_entry *entry)
{
    if (archive_entry_size_is_set(entry)
        && m_stats.bytes + static_cast<quint64>(archive_entry_size(entry)) > m_limits.maxBytes)
        return failed(QStringLiteral("layer unpacks to more than %1 bytes: refusing it").arg(m_limits.maxBytes));
    UniqueFd fd(::openat(parentFd, name.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid())
        return entryError(QStringLiteral("cannot create"), errno);
    const void *block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    while (true) {
        const int status = archive_read_data_block(m_archive, &block, &size, &offset);
        if (status == ARCHIVE_EOF)
            break;
        if (status < ARCHIVE_WARN)
            return failed(QStringLiteral("layer is damaged at %1: %2")
                              .arg(QString::fromUtf8(m_current), QString::fromUtf8(archive_error_string(m_archive))));
        m_stats.bytes += size;
        if (m_stats.bytes > m_limits.maxBytes)
            return failed(QStringLiteral("layer unpacks to more than %1 bytes: refusing it").arg(m_limits.maxBytes));
        // pwrite at the block's offset keeps sparse files sparse.
        size_t written = 0;
        while (written < size) {
            const ssize_t n = ::pwrite(fd.get(), static_cast<const char *>(block) + written, size - written,
                                       offset + static_cast<la_int64_t>(written));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return entryError(QStringLiteral("cannot write"), errno);
            written += static_cast<size_t>(n);
        }
    }
    if (::ftruncate(fd.get(), archive_entry_size(entry)) != 0)
        return entryError(QStringLiteral("cannot size"), errno);
    return success();
}

Status Unpacker::applyMetadata(int parentFd, const QByteArray &name, archive_entry *entry, bool isSymlink) const
{
    const int flags = AT_SYMLINK_NOFOLLOW;
    if (::fchownat(parentFd, name.constData(), archive_entry_uid(entry), archive_entry_gid(entry), flags) != 0)
        return entryError(QStringLiteral("cannot chown"), errno);
    // chown clears setuid bits, so the mode comes after it. Symlinks have no mode of their own.
    if (!isSymlink && ::fchmodat(parentFd, name.constData(), archive_entry_perm(entry) & 07777, 0) != 0)
        return entryError(QStringLiteral("cannot chmod"), errno);
    const timespec times[2] = {{archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)},
                               {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)}};
    ::utimensat(parentFd, name.constData(), times, flags); // best effort: times are not security
    return success();
}

Status Unpacker::hardlink(int parentFd, const QByteArray &name, const char *target)
{
    const Result<QList<QByteArray>> targetParts = components(target);
    if (!targetParts)
        return targetParts.error();
    if (targetParts->isEmpty())
        return failed(
            QStringLiteral("layer entry %1 is a hardlink to the layer root").arg(QString::fromUtf8(m_current)));
    const Result<UniqueFd> targetParent = openParent(*targetParts, false);
    const QByteArray targetName = targetParts->last();
    struct stat info {
    };
    if (!targetParent || ::fstatat(targetParent->get(), targetName.constData(), &info, AT_SYMLINK_NOFOLLOW) != 0)
        return failed(
            QStringLiteral(
                "layer entry %1 is a hardlink to %2, which this layer does not hold (or reaches only through a "
                "symlink): refusing the layer")
                .arg(QString::fromUtf8(m_current), QString::fromUtf8(target)));
    if (S_ISDIR(info.st_mode))
        return failed(QStringLiteral("layer entry %1 is a hardlink to a directory").arg(QString::fromUtf8(m_current)));
    // Without AT_SYMLINK_FOLLOW, linking a symlink links the symlink itself, not what it names.
    if (::linkat(targetParent->get(), targetName.constData(), parentFd, name.constData(), 0) != 0)
        return entryError(QStringLiteral("cannot hardlink"), errno);
    return success();
}

Status Unpacker::entry(archive_entry *entry)
{
    m_current = QByteArray(archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "");
    const Result<QList<QByteArray>> parts = components(archive_entry_pathname(entry));
    if (!parts)
        return parts.error();
    if (parts->isEmpty()) // "./": the root itself, which we own
        return success();
    const Result<UniqueFd> parent = openParent(*parts, true);
    if (!parent)
        return parent.error();
    const int parentFd = parent->get();
    const QByteArray name = parts->last();

    if (name == kOpaqueMarker) {
        if (::fsetxattr(parentFd, "trusted.overlay.opaque", "y", 1, 0) != 0)
            return entryError(QStringLiteral("cannot mark opaque the directory of"), errno);
        return success();
    }
    if (name.startsWith(kWhiteoutPrefix)) {
        const QByteArray hidden = name.mid(kWhiteoutPrefix.size());
        if (hidden.isEmpty() || hidden == "." || hidden == "..")
            return failed(QStringLiteral("layer entry %1 is a malformed whiteout").arg(QString::fromUtf8(m_current)));
        if (Status removed = removeExisting(parentFd, hidden, false); !removed)
            return removed;
        if (::mknodat(parentFd, hidden.constData(), S_IFCHR | 0000, makedev(0, 0)) != 0)
            return entryError(QStringLiteral("cannot create the whiteout"), errno);
        return success();
    }

    if (const char *target = archive_entry_hardlink(entry)) {
        if (Status removed = removeExisting(parentFd, name, false); !removed)
            return removed;
        return hardlink(parentFd, name, target);
    }

    const mode_t type = archive_entry_filetype(entry);
    if (Status removed = removeExisting(parentFd, name, type == AE_IFDIR); !removed)
        return removed;
    switch (type) {
    case AE_IFREG:
        if (Status written = writeRegular(parentFd, name, entry); !written)
            return written;
        break;
    case AE_IFDIR:
        if (::mkdirat(parentFd, name.constData(), 0700) != 0 && errno != EEXIST)
            return entryError(QStringLiteral("cannot create directory"), errno);
        break;
    case AE_IFLNK: {
        const char *target = archive_entry_symlink(entry);
        // The target is only text here: nothing below ever follows it.
        if (target == nullptr || ::symlinkat(target, parentFd, name.constData()) != 0)
            return entryError(QStringLiteral("cannot create symlink"), target ? errno : EINVAL);
        return applyMetadata(parentFd, name, entry, true);
    }
    case AE_IFIFO:
        if (::mkfifoat(parentFd, name.constData(), 0600) != 0)
            return entryError(QStringLiteral("cannot create FIFO"), errno);
        break;
    default:
        // Character and block devices, sockets: a container's /dev is made fresh by the runtime.
        Log::containers()->debug("layer: skipping special file {}", m_current);
        return success();
    }
    return applyMetadata(parentFd, name, entry, false);
}

Result<LayerExtractor::Stats> Unpacker::run()
{
    archive_entry *entryHeader = nullptr;
    while (true) {
        const int status = archive_read_next_header(m_archive, &entryHeader);
        if (status == ARCHIVE_EOF)
            return m_stats;
        if (status < ARCHIVE_WARN)
            return failed(QStringLiteral("layer is not a readable tar archive: %1")
                              .arg(QString::fromUtf8(archive_error_string(m_archive))));
        if (++m_stats.entries > m_limits.maxEntries)
            return failed(QStringLiteral("layer has more than %1 entries: refusing it").arg(m_limits.maxEntries));
        if (Status done = entry(entryHeader); !done)
            return done.error();
    }
}

void supportLayerFilters(archive *reader)
{
    archive_read_support_filter_gzip(reader);
    archive_read_support_filter_zstd(reader);
    archive_read_support_filter_xz(reader);
    archive_read_support_filter_bzip2(reader);
}

// Feeds the tar reader from a decompressing "raw" reader, hashing every byte on the way: the
// diff id is checked in the single pass that unpacks.
struct HashingSource {
    archive *decompressed = nullptr;
    Sha256 hash;
    std::array<char, 64 * 1024> buffer {};

    static la_ssize_t read(archive *tarReader, void *self, const void **block)
    {
        auto *source = static_cast<HashingSource *>(self);
        const la_ssize_t size = archive_read_data(source->decompressed, source->buffer.data(), source->buffer.size());
        if (size < 0) {
            archive_set_error(tarReader, EINVAL, "%s", archive_error_string(source->decompressed));
            return ARCHIVE_FATAL;
        }
        source->hash.add(source->buffer.data(), static_cast<size_t>(size));
        *block = source->buffer.data();
        return size;
    }

    // The end-of-archive blocks and padding after the last entry are part of the diff id too.
    Status finish(const QString &expected)
    {
        la_ssize_t size = 0;
        while ((size = archive_read_data(decompressed, buffer.data(), buffer.size())) > 0)
            hash.add(buffer.data(), static_cast<size_t>(size));
        if (size < 0)
            return failed(QStringLiteral("layer is not a readable archive: %1")
                              .arg(QString::fromUtf8(archive_error_string(decompressed))));
        if (const QString actual = hash.digest(); actual != expected)
            return failed(QStringLiteral("layer content hashes to %1, not to the diff id %2 its image config names: "
                                         "refusing the layer")
                              .arg(actual, expected));
        return success();
    }
};

} // namespace

Result<LayerExtractor::Stats> LayerExtractor::extractFd(int archiveFd, const QString &destination, const Limits &limits)
{
    const QString staging = stagingPathFor(destination);
    if (QFile::exists(destination))
        return ErrorReply {Error::Exists, QStringLiteral("%1 already exists").arg(destination)};
    removeTree(staging); // left by a crash: it was never complete
    const QByteArray stagingPath = QFile::encodeName(staging);
    if (::mkdir(stagingPath.constData(), 0755) != 0)
        return failed(errnoMessage(QStringLiteral("cannot create"), staging, errno));
    auto result = [&]() -> Result<Stats> {
        UniqueFd root(::open(stagingPath.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!root.valid())
            return failed(errnoMessage(QStringLiteral("cannot open"), staging, errno));
        ArchivePtr reader(archive_read_new(), &archive_read_free);
        ArchivePtr decompressor(archive_read_new(), &archive_read_free);
        std::unique_ptr<HashingSource> hashing;
        archive_read_support_format_tar(reader.get());
        int opened = ARCHIVE_OK;
        if (limits.diffId.isEmpty()) {
            supportLayerFilters(reader.get());
            opened = archive_read_open_fd(reader.get(), archiveFd, size_t(64) * 1024);
        } else {
            supportLayerFilters(decompressor.get());
            archive_read_support_format_raw(decompressor.get());
            archive_entry *stream = nullptr;
            if (archive_read_open_fd(decompressor.get(), archiveFd, size_t(64) * 1024) != ARCHIVE_OK
                || archive_read_next_header(decompressor.get(), &stream) != ARCHIVE_OK)
                return failed(QStringLiteral("cannot read the layer archive: %1")
                                  .arg(QString::fromUtf8(archive_error_string(decompressor.get()))));
            hashing = std::make_unique<HashingSource>();
            hashing->decompressed = decompressor.get();
            opened = archive_read_open(reader.get(), hashing.get(), nullptr, &HashingSource::read, nullptr);
        }
        if (opened != ARCHIVE_OK)
            return failed(QStringLiteral("cannot read the layer archive: %1")
                              .arg(QString::fromUtf8(archive_error_string(reader.get()))));
        Result<Stats> stats = Unpacker(reader.get(), root.get(), limits).run();
        if (!stats)
            return stats;
        if (hashing) {
            if (Status matches = hashing->finish(limits.diffId); !matches)
                return matches.error();
        }
        // The rename below must not publish a layer whose data is still only in the page cache.
        if (::syncfs(root.get()) != 0)
            return failed(errnoMessage(QStringLiteral("cannot sync"), staging, errno));
        return stats;
    }();
    if (result.ok()
        && ::renameat2(AT_FDCWD, stagingPath.constData(), AT_FDCWD, QFile::encodeName(destination).constData(),
                       RENAME_NOREPLACE)
            != 0)
        result = failed(errnoMessage(QStringLiteral("cannot move the unpacked layer to"), destination, errno));
    if (!result.ok()) {
        Log::containers()->warn("unpacking into {} failed: {}", destination, result.error().message);
        removeTree(staging);
    }
    return result;
}

Result<LayerExtractor::Stats> LayerExtractor::extractFile(const QString &archivePath, const QString &destination,
                                                          const Limits &limits)
{
    UniqueFd fd(::open(QFile::encodeName(archivePath).constData(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return failed(errnoMessage(QStringLiteral("cannot open"), archivePath, errno));
    return extractFd(fd.get(), destination, limits);
}

} // namespace Hamlet::Containers
