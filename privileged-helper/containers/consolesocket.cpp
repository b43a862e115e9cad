#include "consolesocket.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace Hamlet::Containers {

ConsoleSocket::ConsoleSocket(QString path, UniqueFd socket)
    : m_path(std::move(path))
    , m_socket(std::move(socket))
{ }

ConsoleSocket::ConsoleSocket(ConsoleSocket &&other) noexcept
    : m_path(std::exchange(other.m_path, QString()))
    , m_socket(std::move(other.m_socket))
{ }

ConsoleSocket::~ConsoleSocket()
{
    if (!m_path.isEmpty())
        ::unlink(QFile::encodeName(m_path).constData());
}

Result<ConsoleSocket> ConsoleSocket::listen(const QString &path)
{
    const QByteArray encoded = QFile::encodeName(path);
    sockaddr_un address {};
    if (encoded.size() >= static_cast<qsizetype>(sizeof(address.sun_path)))
        return failed(QStringLiteral("console socket path %1 is longer than a unix socket allows").arg(path));
    UniqueFd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!socket.valid())
        return failed(errnoMessage(QStringLiteral("cannot create the console socket"), path, errno));
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, encoded.constData(), encoded.size());
    ::unlink(encoded.constData()); // a stale one from a crash
    if (::bind(socket.get(), reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0
        || ::listen(socket.get(), 1) != 0)
        return failed(errnoMessage(QStringLiteral("cannot listen on the console socket"), path, errno));
    ::chmod(encoded.constData(), 0600);
    return ConsoleSocket(path, std::move(socket));
}

Result<UniqueFd> ConsoleSocket::receiveMaster(int timeoutMs)
{
    pollfd waiting {m_socket.get(), POLLIN, 0};
    if (::poll(&waiting, 1, timeoutMs) <= 0)
        return failed(QStringLiteral("the runtime did not send the container's terminal to %1").arg(m_path));
    UniqueFd connection(::accept4(m_socket.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection.valid())
        return failed(errnoMessage(QStringLiteral("cannot accept on the console socket"), m_path, errno));

    char name[256];
    iovec data {name, sizeof(name)};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message {};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    waiting = {connection.get(), POLLIN, 0};
    if (::poll(&waiting, 1, timeoutMs) <= 0 || ::recvmsg(connection.get(), &message, MSG_CMSG_CLOEXEC) < 0)
        return failed(errnoMessage(QStringLiteral("cannot receive the terminal on"), m_path, errno));
    for (cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS
            && header->cmsg_len == CMSG_LEN(sizeof(int))) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(header), sizeof(int));
            return UniqueFd(fd);
        }
    }
    return failed(QStringLiteral("the runtime connected to %1 but sent no terminal").arg(m_path));
}

} // namespace Hamlet::Containers
