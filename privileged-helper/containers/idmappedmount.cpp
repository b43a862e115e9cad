#include "idmappedmount.h"

#include "overlaymount.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/mount.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace Hamlet::Containers::IdmappedMount {

namespace {

Status writeMap(pid_t pid, const char *file, const IdRange &range)
{
    const QString path = QStringLiteral("/proc/%1/%2").arg(pid).arg(QLatin1String(file));
    const QByteArray map = QStringLiteral("0 %1 %2\n").arg(range.hostId).arg(range.size).toLatin1();
    const UniqueFd fd(::open(QFile::encodeName(path).constData(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid() || ::write(fd.get(), map.constData(), size_t(map.size())) != map.size())
        return failed(errnoMessage(QStringLiteral("cannot write the id map"), path, errno));
    return success();
}

void detach(const QStringList &mounts)
{
    for (const QString &path : mounts) {
        ::umount2(QFile::encodeName(path).constData(), MNT_DETACH);
        ::rmdir(QFile::encodeName(path).constData());
    }
}

// Clones a child into new namespaces (flags, CLONE_NEWUSER among them), maps it into range, runs
// withChild(pid) while it waits, then lets it exit and reaps it.
template <typename Function>
auto withMappedChild(const IdRange &range, int flags, Function withChild) -> decltype(withChild(pid_t()))
{
    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) != 0)
        return failed(
            errnoMessage(QStringLiteral("cannot make a pipe for"), QStringLiteral("a user namespace"), errno));
    UniqueFd readEnd(pipeFds[0]);
    UniqueFd writeEnd(pipeFds[1]);
    // A raw clone, as fork() without atfork handlers: the child of this threaded process only
    // makes raw system calls (it waits for the pipe to close, then exits).
    const long pid = ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid < 0)
        return failed(errnoMessage(QStringLiteral("cannot create a user namespace (clone)"), QString(), errno));
    if (pid == 0) {
        char byte = 0;
        ::syscall(SYS_close, pipeFds[1]);
        ::syscall(SYS_read, pipeFds[0], &byte, 1);
        ::syscall(SYS_exit_group, 0);
    }
    readEnd.reset();
    auto result = [&]() -> decltype(withChild(pid_t())) {
        for (const char *file : {"uid_map", "gid_map"}) {
            if (Status written = writeMap(pid_t(pid), file, range); !written)
                return written.error();
        }
        return withChild(pid_t(pid));
    }();
    writeEnd.reset(); // the child's read returns: it exits
    // The helper is a subreaper whose orphan reaper may collect the child first: ECHILD is fine.
    while (::waitpid(pid_t(pid), nullptr, 0) < 0 && errno == EINTR) { }
    return result;
}

Status pin(pid_t pid, const char *type, const QString &file)
{
    QDir().mkpath(QFileInfo(file).absolutePath());
    const UniqueFd created(::open(QFile::encodeName(file).constData(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600));
    const QString source = QStringLiteral("/proc/%1/ns/%2").arg(pid).arg(QLatin1String(type));
    if (!created.valid()
        || ::mount(QFile::encodeName(source).constData(), QFile::encodeName(file).constData(), nullptr, MS_BIND,
                   nullptr)
            != 0)
        return failed(errnoMessage(QStringLiteral("cannot pin ") + source + QStringLiteral(" on"), file, errno));
    return success();
}

// In a thread of its own, as only that thread enters the namespace.
Status loopbackUp(const QString &netnsFile)
{
    QString problem;
    std::thread worker([&netnsFile, &problem] {
        const UniqueFd ns(::open(QFile::encodeName(netnsFile).constData(), O_RDONLY | O_CLOEXEC));
        if (!ns.valid() || ::setns(ns.get(), CLONE_NEWNET) != 0) {
            problem = errnoMessage(QStringLiteral("cannot enter"), netnsFile, errno);
            return;
        }
        const UniqueFd socket(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        ifreq request {};
        std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
        if (!socket.valid() || ::ioctl(socket.get(), SIOCGIFFLAGS, &request) != 0)
            problem = errnoMessage(QStringLiteral("cannot read the loopback of"), netnsFile, errno);
        request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
        if (problem.isEmpty() && ::ioctl(socket.get(), SIOCSIFFLAGS, &request) != 0)
            problem = errnoMessage(QStringLiteral("cannot bring up the loopback of"), netnsFile, errno);
    });
    worker.join();
    if (!problem.isEmpty())
        return failed(problem);
    return success();
}

} // namespace

Status pinNamespaces(const IdRange &range, const QString &usernsFile, const QString &netnsFile)
{
    Status pinned = withMappedChild(range, CLONE_NEWUSER | CLONE_NEWNET, [&](pid_t pid) -> Status {
        if (Status user = pin(pid, "user", usernsFile); !user)
            return user;
        return pin(pid, "net", netnsFile);
    });
    if (pinned)
        pinned = loopbackUp(netnsFile);
    if (!pinned) {
        unpin(netnsFile);
        unpin(usernsFile);
    }
    return pinned;
}

void unpin(const QString &file)
{
    const QByteArray path = QFile::encodeName(file);
    ::umount2(path.constData(), MNT_DETACH);
    ::unlink(path.constData());
}

Result<UniqueFd> userNamespace(const IdRange &range)
{
    return withMappedChild(range, CLONE_NEWUSER, [](pid_t pid) -> Result<UniqueFd> {
        const QString path = QStringLiteral("/proc/%1/ns/user").arg(pid);
        UniqueFd fd(::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC));
        if (!fd.valid())
            return failed(errnoMessage(QStringLiteral("cannot open"), path, errno));
        return fd;
    });
}

Status bind(const QString &source, const QString &target, int usernsFd)
{
    const UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, QFile::encodeName(source).constData(),
                                                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
    if (!tree.valid())
        return failed(errnoMessage(QStringLiteral("cannot clone the mount of"), source, errno));
    mount_attr attr {};
    // Read-only: the overlay only reads its layers, and a layer mount a crash left behind must
    // not let a removal of the bundle reach the shared layer through it.
    attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID;
    attr.userns_fd = static_cast<quint64>(usernsFd);
    if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
        return ErrorReply {Error::Unsupported,
                           errnoMessage(QStringLiteral("the filesystem of the image store cannot be idmapped (Linux "
                                                       "5.12+ and a filesystem such as ext4, xfs or btrfs are needed; "
                                                       "create the container with userns \"host\" instead):"),
                                        source, errno)};
    if (::syscall(SYS_move_mount, tree.get(), "", AT_FDCWD, QFile::encodeName(target).constData(),
                  MOVE_MOUNT_F_EMPTY_PATH)
        != 0)
        return failed(errnoMessage(
            QStringLiteral("cannot attach the idmapped mount of ") + source + QStringLiteral(" on"), target, errno));
    return success();
}

void detachLeftovers(const QString &scratchDir)
{
    const QString prefix = QFileInfo(scratchDir).absoluteFilePath() + QLatin1Char('/');
    QStringList points;
    for (const QByteArray &line : readSmallFile(QStringLiteral("/proc/self/mountinfo")).split('\n')) {
        const QString point = QFile::decodeName(line.split(' ').value(4));
        if (point.startsWith(prefix))
            points.prepend(point);
    }
    for (const QString &point : points)
        ::umount2(QFile::encodeName(point).constData(), MNT_DETACH);
}

Status mountOverlay(const QStringList &lowerTopFirst, const QString &upper, const QString &work, const QString &target,
                    const IdRange &range, const QString &scratchDir)
{
    for (const QString &dir : {upper, work}) {
        if (::chown(QFile::encodeName(dir).constData(), uid_t(range.hostId), gid_t(range.hostId)) != 0)
            return failed(errnoMessage(QStringLiteral("cannot give the container's root"), dir, errno));
    }
    Result<UniqueFd> userns = userNamespace(range);
    if (!userns)
        return userns.error();
    QStringList layerMounts;
    for (qsizetype i = 0; i < lowerTopFirst.size(); ++i) {
        const QString layer = scratchDir + QLatin1Char('/') + QString::number(i);
        if (OverlayMount::isMountPoint(layer))
            ::umount2(QFile::encodeName(layer).constData(), MNT_DETACH); // left by a crash
        if (!QDir().mkpath(layer)) {
            detach(layerMounts);
            return failed(QStringLiteral("cannot create %1").arg(layer));
        }
        if (Status bound = bind(lowerTopFirst.at(i), layer, userns->get()); !bound) {
            detach(layerMounts);
            return bound;
        }
        layerMounts << layer;
    }
    // The overlay keeps its own private clones of the layer mounts: ours can go at once, so a
    // container holds one mount however many layers its image has.
    const Status mounted = OverlayMount::mount(layerMounts, upper, work, target);
    detach(layerMounts);
    return mounted;
}

} // namespace Hamlet::Containers::IdmappedMount
