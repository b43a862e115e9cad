#include "imagedisk.h"

#include "logging.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QProcess>

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace Hamlet::Vms::ImageDisk {

namespace {

ErrorReply failed(const QString &what, const QByteArray &path, int error = errno)
{
    return failure(Error::Failed,
                   QStringLiteral("Cannot %1 %2: %3.")
                       .arg(what, QString::fromLocal8Bit(path), QString::fromLocal8Bit(strerror(error))));
}

// Removes path, whatever it is (a directory with its content). Never follows a symlink.
bool removeAll(const QByteArray &path)
{
    struct stat status {
    };
    if (::lstat(path.constData(), &status) != 0)
        return errno == ENOENT;
    if (!S_ISDIR(status.st_mode))
        return ::unlink(path.constData()) == 0;
    DIR *dir = ::opendir(path.constData());
    if (!dir)
        return false;
    bool ok = true;
    while (const dirent *entry = ::readdir(dir)) {
        if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
            ok = removeAll(path + '/' + entry->d_name) && ok;
    }
    ::closedir(dir);
    return ok && ::rmdir(path.constData()) == 0;
}

bool isWhiteout(const struct stat &status)
{
    return S_ISCHR(status.st_mode) && status.st_rdev == makedev(0, 0);
}

bool isOpaque(const QByteArray &dir)
{
    char value[2] = {};
    return ::lgetxattr(dir.constData(), "trusted.overlay.opaque", value, sizeof value) == 1 && value[0] == 'y';
}

// Copies a file's bytes (when a hard link cannot be made: another filesystem).
bool copyFile(const QByteArray &from, const QByteArray &to, const struct stat &status)
{
    QFile in(QString::fromLocal8Bit(from));
    QFile out(QString::fromLocal8Bit(to));
    if (!in.open(QIODevice::ReadOnly) || !out.open(QIODevice::WriteOnly))
        return false;
    while (!in.atEnd()) {
        const QByteArray chunk = in.read(1 << 20);
        if (chunk.isEmpty() || out.write(chunk) != chunk.size())
            return false;
    }
    out.close();
    return ::lchown(to.constData(), status.st_uid, status.st_gid) == 0
        && ::chmod(to.constData(), status.st_mode & 07777) == 0;
}

// Lays one layer directory over target. Both are real directories: every directory recursed
// into was checked or made as one here, so no path below target passes through a symlink.
Result<void> mergeInto(const QByteArray &layer, const QByteArray &target, quint64 *bytes)
{
    DIR *dir = ::opendir(layer.constData());
    if (!dir)
        return failed(QStringLiteral("read the layer directory"), layer);
    QList<QByteArray> names;
    while (const dirent *entry = ::readdir(dir)) {
        if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
            names << QByteArray(entry->d_name);
    }
    ::closedir(dir);
    for (const QByteArray &name : std::as_const(names)) {
        const QByteArray from = layer + '/' + name;
        const QByteArray to = target + '/' + name;
        struct stat source {
        };
        if (::lstat(from.constData(), &source) != 0)
            return failed(QStringLiteral("read"), from);
        struct stat existing {
        };
        const bool exists = ::lstat(to.constData(), &existing) == 0;
        if (isWhiteout(source)) { // deleted in this layer
            if (exists && !removeAll(to))
                return failed(QStringLiteral("remove"), to);
            continue;
        }
        *bytes += static_cast<quint64>(source.st_size) + 4096;
        if (S_ISDIR(source.st_mode)) {
            // A directory replaces a file below; an opaque one hides the lower directory's content.
            if (exists && (!S_ISDIR(existing.st_mode) || isOpaque(from)) && !removeAll(to))
                return failed(QStringLiteral("replace"), to);
            if ((!exists || !S_ISDIR(existing.st_mode) || isOpaque(from)) && ::mkdir(to.constData(), 0700) != 0)
                return failed(QStringLiteral("create"), to);
            if (Result<void> merged = mergeInto(from, to, bytes); !merged)
                return merged;
            // The upper layer's owner and mode win; after the content, as mkdir made it 0700.
            if (::lchown(to.constData(), source.st_uid, source.st_gid) != 0
                || ::chmod(to.constData(), source.st_mode & 07777) != 0)
                return failed(QStringLiteral("set the owner and mode of"), to);
            continue;
        }
        if (exists && !removeAll(to))
            return failed(QStringLiteral("replace"), to);
        if (S_ISREG(source.st_mode)) {
            // A hard link: mkfs reads the bytes, nothing is copied twice.
            if (::link(from.constData(), to.constData()) != 0
                && !(errno == EXDEV || errno == EMLINK || errno == EPERM ? copyFile(from, to, source) : false))
                return failed(QStringLiteral("link"), to);
        } else if (S_ISLNK(source.st_mode)) {
            QByteArray linkTarget(PATH_MAX, '\0');
            const ssize_t length = ::readlink(from.constData(), linkTarget.data(), linkTarget.size());
            if (length < 0 || ::symlink(linkTarget.left(length).constData(), to.constData()) != 0
                || ::lchown(to.constData(), source.st_uid, source.st_gid) != 0)
                return failed(QStringLiteral("copy the symlink"), to);
        } else {
            if (::mknod(to.constData(), source.st_mode, source.st_rdev) != 0
                || ::lchown(to.constData(), source.st_uid, source.st_gid) != 0)
                return failed(QStringLiteral("create the special file"), to);
        }
    }
    return {};
}

} // namespace

Result<quint64> mergeLayers(const QStringList &layersBottomFirst, const QString &target)
{
    quint64 bytes = 0;
    for (const QString &layer : layersBottomFirst) {
        if (Result<void> merged = mergeInto(QFile::encodeName(layer), QFile::encodeName(target), &bytes); !merged)
            return merged.error();
    }
    return bytes;
}

QString baseDiskPath(const QString &stateDir, const QString &digest)
{
    return stateDir + QStringLiteral("/vms/images/") + QString(digest).remove(QStringLiteral("sha256:"))
        + QStringLiteral(".ext4");
}

Result<BaseDisk> ensureBase(const QString &stateDir, const QString &digest, const QStringList &layersBottomFirst,
                            const QString &mkfs)
{
    static QMutex oneAtATime;
    const QMutexLocker locker(&oneAtATime);
    const QString path = baseDiskPath(stateDir, digest);
    if (QFileInfo(path).isFile()) {
        Log::vms()->info("reusing the ext4 disk {} of the image {}", path, digest);
        return BaseDisk {path, false};
    }
    QElapsedTimer timer;
    timer.start();
    const QString directory = QFileInfo(path).absolutePath();
    const QString staging = path + QStringLiteral(".staging");
    const QString temporary = path + QStringLiteral(".tmp");
    auto cleanUp = [&] {
        removeAll(QFile::encodeName(staging));
        QFile::remove(temporary);
    };
    cleanUp(); // left by a helper that stopped half-way
    if (!QDir().mkpath(directory) || ::mkdir(QFile::encodeName(staging).constData(), 0755) != 0)
        return failed(QStringLiteral("create"), QFile::encodeName(staging));
    const Result<quint64> merged = mergeLayers(layersBottomFirst, staging);
    if (!merged) {
        cleanUp();
        return merged.error();
    }
    // Room for the content (ext4's own metadata included) and for what the VMs write.
    const quint64 size = ((merged.value() * 5 / 4 + (64ULL << 20)) + (1ULL << 20) - 1) & ~((1ULL << 20) - 1);
    QFile file(temporary);
    if (!file.open(QIODevice::WriteOnly) || !file.resize(static_cast<qint64>(size))) {
        cleanUp();
        return failure(Error::Failed, QStringLiteral("Cannot create %1: %2.").arg(temporary, file.errorString()));
    }
    file.close();
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    // -m 0: no blocks reserved for root (the guest's root is the only user); no lazy init, so the
    // guest's kernel does not zero inode tables in the background while the program starts.
    process.start(mkfs,
                  {QStringLiteral("-q"), QStringLiteral("-F"), QStringLiteral("-m"), QStringLiteral("0"),
                   QStringLiteral("-E"), QStringLiteral("lazy_itable_init=0,lazy_journal_init=0"), QStringLiteral("-L"),
                   QStringLiteral("hamlet-image"), QStringLiteral("-d"), staging, temporary});
    const bool finished = process.waitForFinished(600000);
    const QString output = QString::fromLocal8Bit(process.readAll()).trimmed();
    if (!finished || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        const QString why = process.error() == QProcess::FailedToStart
            ? QStringLiteral("%1 cannot be run (install 'e2fsprogs')").arg(mkfs)
            : output;
        cleanUp();
        return failure(Error::Failed, QStringLiteral("Cannot make the root disk of the image %1: %2").arg(digest, why));
    }
    removeAll(QFile::encodeName(staging));
    if (::rename(QFile::encodeName(temporary).constData(), QFile::encodeName(path).constData()) != 0) {
        cleanUp();
        return failed(QStringLiteral("rename to"), QFile::encodeName(path));
    }
    Log::vms()->info("made the ext4 disk {} of the image {} ({} MiB) with mkfs.ext4 in {} ms", path, digest, size >> 20,
                     timer.elapsed());
    return BaseDisk {path, true};
}

Result<void> createOverlay(const QString &qemuImg, const QString &base, const QString &overlay)
{
    if (!QDir().mkpath(QFileInfo(overlay).absolutePath()))
        return failed(QStringLiteral("create the directory of"), QFile::encodeName(overlay));
    QFile::remove(overlay);
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(qemuImg,
                  {QStringLiteral("create"), QStringLiteral("-q"), QStringLiteral("-f"), QStringLiteral("qcow2"),
                   QStringLiteral("-F"), QStringLiteral("raw"), QStringLiteral("-b"), base, overlay});
    const bool finished = process.waitForFinished(60000);
    if (!finished || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        QFile::remove(overlay);
        return failure(Error::Failed,
                       QStringLiteral("qemu-img could not create the overlay %1: %2 (install "
                                      "'qemu-utils')")
                           .arg(overlay, QString::fromLocal8Bit(process.readAll()).trimmed()));
    }
    return {};
}

} // namespace Hamlet::Vms::ImageDisk
