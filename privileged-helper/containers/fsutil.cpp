#include "fsutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace Hamlet::Containers {

UniqueFd &UniqueFd::operator=(UniqueFd &&other) noexcept
{
    if (this != &other)
        reset(other.release());
    return *this;
}

UniqueFd::~UniqueFd()
{
    reset();
}

void UniqueFd::reset(int fd)
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = fd;
}

QString errnoMessage(const QString &what, const QString &path, int error)
{
    return QStringLiteral("%1 %2: %3").arg(what, path, QString::fromLocal8Bit(std::strerror(error)));
}

Status writeFileAtomically(const QString &path, const QByteArray &data, int mode)
{
    // A name of its own per writer: two threads writing the same blob must not share a file.
    static std::atomic<quint64> writes {0};
    const QString temporary = path + QStringLiteral(".%1-%2.tmp").arg(::getpid()).arg(writes++);
    const QByteArray encoded = QFile::encodeName(temporary);
    UniqueFd fd(::open(encoded.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd.valid())
        return failed(errnoMessage(QStringLiteral("cannot create"), temporary, errno));
    qsizetype written = 0;
    while (written < data.size()) {
        const ssize_t n = ::write(fd.get(), data.constData() + written, data.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int error = errno;
            ::unlink(encoded.constData());
            return failed(errnoMessage(QStringLiteral("cannot write"), temporary, error));
        }
        written += n;
    }
    if (::fsync(fd.get()) != 0) {
        const int error = errno;
        ::unlink(encoded.constData());
        return failed(errnoMessage(QStringLiteral("cannot sync"), temporary, error));
    }
    fd.reset();
    if (::rename(encoded.constData(), QFile::encodeName(path).constData()) != 0) {
        const int error = errno;
        ::unlink(encoded.constData());
        return failed(errnoMessage(QStringLiteral("cannot rename into"), path, error));
    }
    // The rename itself is only durable once the directory is.
    UniqueFd dir(
        ::open(QFile::encodeName(QFileInfo(path).absolutePath()).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.valid())
        ::fsync(dir.get());
    return success();
}

namespace {

// The names in a directory (not "." and ".."), as raw bytes: a layer may hold names that are not
// valid UTF-8, which a QString could not give back to the kernel.
bool listDirectory(int dirFd, std::vector<std::string> *names)
{
    names->clear();
    const int copy = ::fcntl(dirFd, F_DUPFD_CLOEXEC, 0);
    DIR *dir = copy >= 0 ? ::fdopendir(copy) : nullptr;
    if (!dir) {
        if (copy >= 0)
            ::close(copy);
        return false;
    }
    ::rewinddir(dir);
    while (const dirent *entry = ::readdir(dir)) {
        if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
            names->emplace_back(entry->d_name);
    }
    ::closedir(dir);
    return true;
}

} // namespace

bool removeTree(const QString &path)
{
    const QByteArray encoded = QFile::encodeName(path);
    struct stat info {
    };
    if (::lstat(encoded.constData(), &info) != 0)
        return errno == ENOENT;
    if (!S_ISDIR(info.st_mode))
        return ::unlink(encoded.constData()) == 0;
    // Walks with directory fds and names relative to them, one fd at a time: a layer's paths may
    // be longer than PATH_MAX below this one, or nested deeper than we may hold fds open. Nothing
    // is followed: symlinks are removed as entries, directories opened with O_NOFOLLOW.
    UniqueFd current(::open(encoded.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!current.valid())
        return false;
    int depth = 0;
    std::vector<std::string> names;
    while (true) {
        if (!listDirectory(current.get(), &names))
            return false;
        bool descended = false;
        for (const std::string &name : names) {
            if (::unlinkat(current.get(), name.c_str(), 0) == 0)
                continue;
            if (errno != EISDIR && errno != EPERM)
                return false;
            if (::unlinkat(current.get(), name.c_str(), AT_REMOVEDIR) == 0)
                continue;
            if (errno != ENOTEMPTY && errno != EEXIST)
                return false;
            UniqueFd child(::openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!child.valid())
                return false;
            current = std::move(child);
            ++depth;
            descended = true;
            break;
        }
        if (descended)
            continue;
        if (depth == 0)
            break;
        // This directory is empty now: back to its parent, which removes it on the next pass.
        UniqueFd parent(::openat(current.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!parent.valid())
            return false;
        current = std::move(parent);
        --depth;
    }
    current.reset();
    return ::rmdir(encoded.constData()) == 0;
}

QByteArray readSmallFile(const QString &path, bool *ok)
{
    // Plain syscalls: the sampler reads a few of these per container per tick, and QFile's
    // open (stat, buffering) costs several times more than the read itself.
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (ok)
            *ok = false;
        return {};
    }
    // cgroup and proc files report size 0: read until EOF rather than by size.
    QByteArray data;
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
        data.append(buffer, n);
    ::close(fd);
    if (ok)
        *ok = n == 0;
    return data;
}

} // namespace Hamlet::Containers

namespace Hamlet::Containers {
void capLogFile(const QString &path, qint64 maxBytes)
{
    QFile file(path);
    if (file.size() <= maxBytes || !file.open(QIODevice::ReadWrite))
        return;
    const qint64 keep = maxBytes / 2;
    file.seek(file.size() - keep);
    QByteArray tail = file.read(keep);
    if (const qsizetype newline = tail.indexOf('\n'); newline >= 0)
        tail.remove(0, newline + 1); // start at a whole line
    file.resize(0);
    file.seek(0);
    file.write("[hamlet: older output was dropped to keep this log under " + QByteArray::number(maxBytes)
               + " bytes]\n");
    file.write(tail);
}
} // namespace Hamlet::Containers
