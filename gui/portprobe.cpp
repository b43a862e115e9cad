#include "portprobe.h"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace Hamlet::PortProbe {

Verdict probe(uint port, const QString &protocol, const QString &hostAddress)
{
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    if (!hostAddress.isEmpty() && inet_pton(AF_INET, hostAddress.toLatin1().constData(), &address.sin_addr) != 1)
        return Verdict::NotThisComputer;
    const bool udp = protocol == QLatin1String("udp");
    const int fd = ::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return Verdict::Unknown;
    // No SO_REUSEADDR, as the helper binds to check: a port still in TIME_WAIT counts as taken.
    const int result = ::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address);
    const int error = errno;
    ::close(fd);
    if (result == 0)
        return Verdict::Free;
    switch (error) {
    case EADDRINUSE:
        return Verdict::InUse;
    case EADDRNOTAVAIL:
        return Verdict::NotThisComputer;
    case EACCES:
        return Verdict::NeedsPrivilege;
    default:
        return Verdict::Unknown;
    }
}

} // namespace Hamlet::PortProbe
