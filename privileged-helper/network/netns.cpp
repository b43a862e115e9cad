#include "netns.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <thread>
#include <unistd.h>

namespace Hamlet::Network {

using Containers::failed;
using Containers::Status;
using Containers::success;

namespace {

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

int bringLoopbackUp()
{
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    ifreq request {};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    int error = 0;
    if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0)
        error = errno;
    request.ifr_flags |= IFF_UP;
    if (error == 0 && ::ioctl(fd, SIOCSIFFLAGS, &request) != 0)
        error = errno;
    ::close(fd);
    return error;
}

} // namespace

bool netnsExists(const QString &path)
{
    struct statfs fs {
    };
    return ::statfs(QFile::encodeName(path).constData(), &fs) == 0 && fs.f_type == NSFS_MAGIC;
}

Status createNetns(const QString &path)
{
    if (netnsExists(path))
        return success();
    QDir().mkpath(QFileInfo(path).absolutePath());
    const QByteArray file = QFile::encodeName(path);
    const int fd = ::open(file.constData(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return failed(QStringLiteral("cannot create %1: %2").arg(path, errnoText(errno)));
    ::close(fd);
    // unshare() moves only the calling thread: a short-lived thread of its own makes the
    // namespace, brings up its loopback and pins it with the bind mount, then ends.
    QString problem;
    std::thread maker([&file, &problem] {
        if (::unshare(CLONE_NEWNET) != 0) {
            problem = QStringLiteral("unshare(CLONE_NEWNET): ") + errnoText(errno);
            return;
        }
        if (const int error = bringLoopbackUp(); error != 0) {
            problem = QStringLiteral("bringing up lo: ") + errnoText(error);
            return;
        }
        if (::mount("/proc/thread-self/ns/net", file.constData(), nullptr, MS_BIND, nullptr) != 0)
            problem = QStringLiteral("bind mount: ") + errnoText(errno);
    });
    maker.join();
    if (!problem.isEmpty()) {
        ::unlink(file.constData());
        return failed(QStringLiteral("cannot make the network namespace %1: %2").arg(path, problem));
    }
    return success();
}

Status removeNetns(const QString &path)
{
    const QByteArray file = QFile::encodeName(path);
    if (netnsExists(path) && ::umount2(file.constData(), MNT_DETACH) != 0)
        return failed(QStringLiteral("cannot unmount the network namespace %1: %2").arg(path, errnoText(errno)));
    if (::unlink(file.constData()) != 0 && errno != ENOENT)
        return failed(QStringLiteral("cannot remove %1: %2").arg(path, errnoText(errno)));
    return success();
}

} // namespace Hamlet::Network
