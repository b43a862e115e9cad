#pragma once

#include <QByteArray>
#include <QObject>

class QSocketNotifier;
class QTimer;

namespace Hamlet {

// Owns one file descriptor handed over by the helper (a pty master, a socket, a pipe or a log
// file) and moves bytes through it without ever blocking the UI thread: reads are driven by a
// QSocketNotifier (or, for a regular file that never signals, by a short poll timer so the file
// is followed like `tail -f`), writes are queued and flushed when the fd is writable.
// The rule: whatever fd is given is this object's to close, exactly once.
class FdStream : public QObject
{
    Q_OBJECT
public:
    explicit FdStream(QObject *parent = nullptr);
    ~FdStream() override;

    // Takes ownership of fd (closing any previous one). A negative fd only closes.
    void setFd(int fd);
    // Closes the fd without emitting closed().
    void close();
    int fd() const { return m_fd; }
    bool isOpen() const { return m_fd >= 0; }
    bool isTty() const { return m_isTty; }
    // Queues bytes for the fd; returns false when there is no open fd.
    bool write(const QByteArray &bytes);

Q_SIGNALS:
    void dataReceived(const QByteArray &bytes);
    // A followed regular file became shorter than what was read (the helper caps container logs
    // by rewriting them in place): reading starts again from its beginning.
    void rewound();
    // The peer went away (EOF, HUP, EIO on a pty whose other side closed, or a read/write error).
    // The fd is already closed when this is emitted.
    void closed(const QString &reason);

private:
    void readAvailable();
    void flushWrites();
    void finish(const QString &reason);
    bool fileWasRewritten();

    int m_fd = -1;
    // Bumped whenever the fd changes, so a read loop notices a slot replaced the fd under it.
    quint64 m_generation = 0;
    bool m_isTty = false;
    bool m_isSocket = false;
    bool m_isRegularFile = false;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    QTimer *m_filePoll = nullptr;
    QByteArray m_pending;
    QByteArray m_fileHead; // the first bytes of a followed file, to notice it being rewritten
};

} // namespace Hamlet
