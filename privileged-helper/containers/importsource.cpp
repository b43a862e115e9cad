#include "importsource.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace Hamlet::Containers {

ssize_t ImportSource::read(char *buffer, size_t size)
{
    if (m_progress.isCancelled()) {
        m_error = kImportCancelled;
        return -1;
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
