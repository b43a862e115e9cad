#pragma once

#include "result.h"

#include <QByteArray>
#include <QString>

#include <utility>

namespace Hamlet::Containers {

// Owns a file descriptor and closes it once.
class UniqueFd
{
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd)
        : m_fd(fd)
    { }
    UniqueFd(UniqueFd &&other) noexcept
        : m_fd(std::exchange(other.m_fd, -1))
    { }
    UniqueFd &operator=(UniqueFd &&other) noexcept;
    UniqueFd(const UniqueFd &) = delete;
    UniqueFd &operator=(const UniqueFd &) = delete;
    ~UniqueFd();

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    int release() { return std::exchange(m_fd, -1); }
    void reset(int fd = -1);

private:
    int m_fd = -1;
};

// "what path: strerror(errno)", the shape of every filesystem error message here.
QString errnoMessage(const QString &what, const QString &path, int error);

// Writes data to path so that a crash leaves either the old file or the new one, never a mix:
// a temporary file in the same directory, fsync, rename, fsync of the directory.
Status writeFileAtomically(const QString &path, const QByteArray &data, int mode = 0600);

// Removes path and everything below it without following symlinks; true when nothing is left.
bool removeTree(const QString &path);

// Reads a small file (cgroup, proc) whole; empty with *ok false when it cannot be read.
QByteArray readSmallFile(const QString &path, bool *ok = nullptr);

} // namespace Hamlet::Containers

namespace Hamlet::Containers {
// Keeps a log file that a container appends to (O_APPEND) under maxBytes: when it is larger,
// only its last maxBytes/2 stay, after a line saying so. Truncating in place keeps the
// container's fd valid, which a rotation by rename would not.
void capLogFile(const QString &path, qint64 maxBytes);
} // namespace Hamlet::Containers
