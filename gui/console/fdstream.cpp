#include "fdstream.h"

#include "logging.h"

#include <QSocketNotifier>
#include <QTimer>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Hamlet {

namespace {
// Enough to drain a burst (a screenful of boot log) without starving the event loop.
constexpr qsizetype readChunk = qsizetype(64) * 1024;
constexpr int maxReadsPerWakeup = 16;
constexpr int filePollMs = 250;
constexpr qsizetype fileHeadBytes = 256;
} // namespace

FdStream::FdStream(QObject *parent)
    : QObject(parent)
{ }

FdStream::~FdStream()
{
    close();
}

void FdStream::setFd(int fd)
{
    if (fd >= 0 && fd == m_fd)
        return; // already ours: closing it first would leave nothing to read
    close();
    if (fd < 0)
        return;
    m_fd = fd;
    // Non-blocking so a read or a write never stalls the UI; close-on-exec so a process the GUI
    // starts never inherits a console.
    fcntl(m_fd, F_SETFL, fcntl(m_fd, F_GETFL) | O_NONBLOCK);
    fcntl(m_fd, F_SETFD, FD_CLOEXEC);
    struct stat st = {};
    if (fstat(m_fd, &st) == 0) {
        m_isSocket = S_ISSOCK(st.st_mode);
        m_isRegularFile = S_ISREG(st.st_mode);
    }
    m_isTty = isatty(m_fd);
    if (m_isRegularFile) {
        m_filePoll = new QTimer(this);
        m_filePoll->setInterval(filePollMs);
        connect(m_filePoll, &QTimer::timeout, this, &FdStream::readAvailable);
        m_filePoll->start();
        QTimer::singleShot(0, this, &FdStream::readAvailable);
        return;
    }
    m_readNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &FdStream::readAvailable);
    m_writeNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Write, this);
    m_writeNotifier->setEnabled(false);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &FdStream::flushWrites);
}

void FdStream::close()
{
    ++m_generation;
    // Notifiers go before the fd: a notifier left on a closed (and possibly reused) fd number
    // would fire for somebody else's descriptor.
    // close() can run inside a notifier's own activated() signal: disable now (which unregisters
    // the fd from the event dispatcher at once), delete once the signal has returned.
    for (QSocketNotifier *notifier : {m_readNotifier, m_writeNotifier}) {
        if (notifier) {
            notifier->setEnabled(false);
            notifier->deleteLater();
        }
    }
    m_readNotifier = nullptr;
    m_writeNotifier = nullptr;
    if (m_filePoll) {
        m_filePoll->stop();
        m_filePoll->deleteLater();
        m_filePoll = nullptr;
    }
    m_pending.clear();
    m_fileHead.clear();
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    m_isTty = m_isSocket = m_isRegularFile = false;
}

bool FdStream::write(const QByteArray &bytes)
{
    if (m_fd < 0 || m_isRegularFile)
        return false;
    m_pending += bytes;
    flushWrites();
    return true;
}

void FdStream::readAvailable()
{
    if (m_fd < 0)
        return;
    const quint64 generation = m_generation;
    if (m_isRegularFile && fileWasRewritten()) {
        ::lseek(m_fd, 0, SEEK_SET);
        Q_EMIT rewound();
        if (m_generation != generation)
            return;
    }
    QByteArray buffer(readChunk, Qt::Uninitialized);
    for (int round = 0; round < maxReadsPerWakeup; ++round) {
        const ssize_t n = ::read(m_fd, buffer.data(), buffer.size());
        if (n > 0) {
            Q_EMIT dataReceived(buffer.left(n));
            if (m_generation != generation) // a slot closed or replaced the fd
                return;
            continue;
        }
        if (n == 0) {
            // A regular file at its end is only "nothing yet": the writer may append more.
            if (!m_isRegularFile)
                finish(tr("The other side closed the connection."));
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        // EIO is how Linux reports a pty whose last slave closed: the console's process is gone.
        finish(errno == EIO ? tr("The console's process ended.")
                            : tr("Reading the console failed: %1").arg(QString::fromLocal8Bit(strerror(errno))));
        return;
    }
}

bool FdStream::fileWasRewritten()
{
    // Rewritten in place means shorter than what was read, or a different beginning (it may
    // already have grown past the old read position again by the time we look).
    struct stat st = {};
    const off_t position = ::lseek(m_fd, 0, SEEK_CUR);
    if (fstat(m_fd, &st) != 0)
        return false;
    QByteArray head(fileHeadBytes, Qt::Uninitialized);
    const ssize_t n = ::pread(m_fd, head.data(), size_t(head.size()), 0);
    head.truncate(std::max<qsizetype>(n, 0));
    const bool rewritten = position > st.st_size || head.size() < m_fileHead.size() || !head.startsWith(m_fileHead);
    m_fileHead = head;
    return rewritten;
}

void FdStream::flushWrites()
{
    while (m_fd >= 0 && !m_pending.isEmpty()) {
        // MSG_NOSIGNAL: a socket whose peer vanished must report EPIPE, not kill the GUI.
        const ssize_t n = m_isSocket ? ::send(m_fd, m_pending.constData(), m_pending.size(), MSG_NOSIGNAL)
                                     : ::write(m_fd, m_pending.constData(), m_pending.size());
        if (n > 0) {
            m_pending.remove(0, n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        finish(tr("Writing to the console failed: %1").arg(QString::fromLocal8Bit(strerror(errno))));
        return;
    }
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(!m_pending.isEmpty());
}

void FdStream::finish(const QString &reason)
{
    Log::gui()->debug("console fd {} closed: {}", m_fd, reason);
    close();
    Q_EMIT closed(reason);
}

} // namespace Hamlet
