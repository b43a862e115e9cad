#include "ownerfiles.h"

#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace Hamlet::Vms {

namespace {

constexpr int OpenTimeoutMs = 10000; // a file on a stalled network mount must not hold a Start forever

ErrorReply invalid(const QString &message)
{
    return failure(Error::InvalidArgument, message);
}

// One message per file: the errno of its open (0 = success, and then the fd rides along).
void sendResult(int socket, int error, int fd)
{
    msghdr message {};
    iovec data {&error, sizeof error};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
    }
    while (::sendmsg(socket, &message, MSG_NOSIGNAL) < 0 && errno == EINTR) { }
}

// Runs in the forked child of a threaded process: system calls only, no allocation, no locks.
[[noreturn]] void openInChild(int socket, uid_t uid, gid_t gid, const std::vector<gid_t> &groups,
                              const std::vector<QByteArray> &paths, const std::vector<int> &flags)
{
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Changing credentials also clears the dumpable flag, so the owner can neither ptrace this
    // child nor reach its fds through /proc while it runs.
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setresgid(gid, gid, gid) != 0
        || ::setresuid(uid, uid, uid) != 0) {
        sendResult(socket, errno ? errno : EPERM, -1);
        ::_exit(1);
    }
    for (size_t i = 0; i < paths.size(); ++i) {
        // O_NONBLOCK: opening a FIFO must not wait for a writer (the parent refuses non-files).
        const int fd = ::open(paths[i].constData(), flags[i] | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        sendResult(socket, fd < 0 ? errno : 0, fd);
        if (fd >= 0)
            ::close(fd);
    }
    ::_exit(0);
}

// Receives one result: the errno and, when it is 0, the fd. -2 when the child said nothing in time.
int receiveResult(int socket, int *error)
{
    pollfd entry {socket, POLLIN, 0};
    if (::poll(&entry, 1, OpenTimeoutMs) <= 0)
        return -2;
    msghdr message {};
    iovec data {error, sizeof *error};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t got = 0;
    do {
        got = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    } while (got < 0 && errno == EINTR);
    if (got != sizeof *error)
        return -2;
    int fd = -1;
    for (cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS)
            std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
    }
    return fd;
}

std::optional<ErrorReply> fileKindProblem(const OwnerFile &file, int fd)
{
    struct stat status {
    };
    if (::fstat(fd, &status) != 0)
        return invalid(
            QStringLiteral("Cannot examine the %1 %2: %3.").arg(file.key, file.path, qt_error_string(errno)));
    const bool blockDisk = file.writable && S_ISBLK(status.st_mode);
    if (!S_ISREG(status.st_mode) && !blockDisk)
        return invalid(QStringLiteral("The %1 %2 is not a regular file%3.")
                           .arg(file.key, file.path, file.writable ? QStringLiteral(" or block device") : QString()));
    if (S_ISREG(status.st_mode) && status.st_size == 0)
        return invalid(QStringLiteral("The %1 %2 is empty.").arg(file.key, file.path));
    // Back to blocking I/O for QEMU (opened non-blocking only so that a FIFO could not stall us).
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
        return invalid(
            QStringLiteral("Cannot prepare the %1 %2: %3.").arg(file.key, file.path, qt_error_string(errno)));
    return std::nullopt;
}

quint64 bigEndian(const unsigned char *bytes, int size)
{
    quint64 value = 0;
    for (int i = 0; i < size; ++i)
        value = (value << 8) | bytes[i];
    return value;
}

} // namespace

Result<std::vector<UniqueFd>> openAsOwner(uid_t uid, const QList<OwnerFile> &files)
{
    if (files.isEmpty())
        return std::vector<UniqueFd> {};
    // Everything the child needs is prepared here: after fork() only system calls are safe.
    passwd account {};
    passwd *found = nullptr;
    std::vector<char> buffer(16384);
    if (::getpwuid_r(uid, &account, buffer.data(), buffer.size(), &found) != 0 || !found)
        return invalid(QStringLiteral("The VM's owner (uid %1) is no longer a user of this system, so its files "
                                      "cannot be opened as that user.")
                           .arg(uid));
    const gid_t gid = account.pw_gid;
    int count = 64;
    std::vector<gid_t> groups(count);
    if (::getgrouplist(account.pw_name, gid, groups.data(), &count) < 0) {
        groups.resize(count);
        ::getgrouplist(account.pw_name, gid, groups.data(), &count);
    }
    groups.resize(count);
    std::vector<QByteArray> paths;
    std::vector<int> flags;
    for (const OwnerFile &file : files) {
        paths.push_back(QFile::encodeName(file.path));
        flags.push_back(file.writable ? O_RDWR : O_RDONLY);
    }

    int sockets[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0)
        return failure(Error::Failed,
                       QStringLiteral("Cannot open the VM's files: socketpair: %1.").arg(qt_error_string(errno)));
    UniqueFd ours(sockets[0]);
    UniqueFd theirs(sockets[1]);
    const pid_t child = ::fork();
    if (child < 0)
        return failure(Error::Failed,
                       QStringLiteral("Cannot open the VM's files: fork: %1.").arg(qt_error_string(errno)));
    if (child == 0) {
        ::close(sockets[0]);
        openInChild(sockets[1], uid, gid, groups, paths, flags);
    }
    theirs.reset();

    std::vector<UniqueFd> opened;
    std::optional<ErrorReply> problem;
    for (const OwnerFile &file : files) {
        int error = 0;
        const int fd = receiveResult(ours.get(), &error);
        if (fd == -2) {
            problem = failure(Error::Failed,
                              QStringLiteral("Opening the %1 %2 as its owner (uid %3) did not finish "
                                             "within %4 s.")
                                  .arg(file.key, file.path)
                                  .arg(uid)
                                  .arg(OpenTimeoutMs / 1000));
            break;
        }
        UniqueFd owned(fd);
        if (error != 0 || !owned.valid()) {
            problem = invalid(
                QStringLiteral("The %1 %2 cannot be opened by the VM's owner (uid %3): %4. Hamlet "
                               "opens a VM's files as their owner at every start; make the file "
                               "%5 by its owner again.")
                    .arg(file.key, file.path)
                    .arg(uid)
                    .arg(qt_error_string(error ? error : EBADF),
                         file.writable ? QStringLiteral("readable and writable") : QStringLiteral("readable")));
            break;
        }
        if ((problem = fileKindProblem(file, owned.get())))
            break;
        opened.push_back(std::move(owned));
    }
    ours.reset();
    ::kill(child, SIGKILL); // done or stuck: either way it has nothing more to do
    while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) { }
    if (problem)
        return *problem;
    return opened;
}

DiskFormat detectDiskFormat(int fd)
{
    unsigned char magic[4] = {};
    if (::pread(fd, magic, sizeof magic, 0) == sizeof magic && std::memcmp(magic, "QFI\xfb", 4) == 0)
        return DiskFormat::Qcow2;
    return DiskFormat::Raw;
}

std::optional<ErrorReply> diskImageProblem(int fd, const QString &path)
{
    if (detectDiskFormat(fd) != DiskFormat::Qcow2)
        return std::nullopt; // raw: QEMU opens nothing else for it
    // The qcow2 header (big-endian): magic, version (4), backing_file_offset (8 at 8),
    // backing_file_size (4 at 16), ... incompatible_features (8 at 72, version 3 only).
    unsigned char header[80] = {};
    const ssize_t got = ::pread(fd, header, sizeof header, 0);
    if (got < 20)
        return invalid(QStringLiteral("The disk image %1 is a truncated qcow2 file.").arg(path));
    const quint64 version = bigEndian(header + 4, 4);
    if (version != 2 && version != 3)
        return invalid(QStringLiteral("The disk image %1 is qcow2 version %2; Hamlet accepts versions 2 and 3.")
                           .arg(path)
                           .arg(version));
    if (bigEndian(header + 8, 8) != 0 || bigEndian(header + 16, 4) != 0)
        return invalid(QStringLiteral("The disk image %1 is a qcow2 overlay with a backing file. Hamlet does not "
                                      "use backing files of a caller's disk (QEMU would open them by path); make "
                                      "a standalone copy with 'qemu-img convert -O qcow2 %1 NEW.qcow2' and use that.")
                           .arg(path));
    if (version == 3) {
        if (got < 80)
            return invalid(QStringLiteral("The disk image %1 is a truncated qcow2 file.").arg(path));
        constexpr quint64 ExternalDataFile = 1ULL << 2;
        if (bigEndian(header + 72, 8) & ExternalDataFile)
            return invalid(QStringLiteral("The disk image %1 keeps its data in an external file, which QEMU would "
                                          "open by path; convert it to a standalone image with 'qemu-img convert'.")
                               .arg(path));
    }
    return std::nullopt;
}

Result<void> copyToGuestFile(int fd, const QString &path, gid_t group, mode_t mode)
{
    const QByteArray target = QFile::encodeName(path);
    const QByteArray temporary = target + ".new";
    ::unlink(temporary.constData());
    UniqueFd out(::open(temporary.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!out.valid())
        return failure(Error::Failed, QStringLiteral("Cannot write %1: %2.").arg(path, qt_error_string(errno)));
    char chunk[1 << 16];
    off_t offset = 0;
    for (;;) {
        const ssize_t n = ::pread(fd, chunk, sizeof chunk, offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ::unlink(temporary.constData());
            return failure(Error::Failed,
                           QStringLiteral("Cannot read the file for %1: %2.").arg(path, qt_error_string(errno)));
        }
        if (n == 0)
            break;
        for (ssize_t written = 0; written < n;) {
            const ssize_t w = ::write(out.get(), chunk + written, n - written);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                const int saved = errno;
                ::unlink(temporary.constData());
                return failure(Error::Failed, QStringLiteral("Cannot write %1: %2.").arg(path, qt_error_string(saved)));
            }
            written += w;
        }
        offset += n;
    }
    if (::fchown(out.get(), 0, group) != 0 || ::fchmod(out.get(), mode) != 0
        || ::rename(temporary.constData(), target.constData()) != 0) {
        const int saved = errno;
        ::unlink(temporary.constData());
        return failure(Error::Failed, QStringLiteral("Cannot put %1 in place: %2.").arg(path, qt_error_string(saved)));
    }
    return {};
}

} // namespace Hamlet::Vms
