#include "importsource.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <unistd.h>

namespace Hamlet::Containers {

ssize_t ImportSource::read(char *buffer, size_t size)
{
    // A pipe whose writer stalls must not keep a cancelled import waiting: wait in short slices.
    while (true) {
        if (m_progress.isCancelled()) {
            m_error = kImportCancelled;
            return -1;
        }
        pollfd ready {m_fd, POLLIN, 0};
        const int polled = ::poll(&ready, 1, 200);
        if (polled > 0 || (polled < 0 && errno != EINTR))
            break; // readable, at its end, or an error the read below reports
    }
    ssize_t n = 0;
    do {
        n = ::read(m_fd, buffer, size);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        m_error = QStringLiteral("cannot read the archive: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return -1;
    }
    m_read += static_cast<quint64>(n);
    if (m_read > m_maxBytes) {
        m_error = QStringLiteral("the archive is larger than the limit of %1 bytes: refusing it").arg(m_maxBytes);
        return -1;
    }
    m_progress.addBytesDone(static_cast<quint64>(n));
    return n;
}

} // namespace Hamlet::Containers
