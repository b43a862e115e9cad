#include "terminalbridge.h"

#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace {
// All of data, through short writes and EINTR; false when the fd is gone.
bool writeAll(int fd, const char *data, ssize_t size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, static_cast<size_t>(size));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        size -= n;
    }
    return true;
}
} // namespace

TerminalBridge::TerminalBridge(int master, QObject *parent)
    : QObject(parent)
    , m_master(master)
    , m_stdin(new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this))
    , m_output(new QSocketNotifier(master, QSocketNotifier::Read, this))
{
    m_stdinIsTty = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &m_saved) == 0;
    if (m_stdinIsTty) {
        termios raw = m_saved;
        ::cfmakeraw(&raw);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        // SIGWINCH as a readable fd, so a resize is handled in the event loop.
        sigset_t winch;
        sigemptyset(&winch);
        sigaddset(&winch, SIGWINCH);
        if (::sigprocmask(SIG_BLOCK, &winch, nullptr) == 0)
            m_winch = ::signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
        if (m_winch >= 0) {
            m_resized = new QSocketNotifier(m_winch, QSocketNotifier::Read, this);
            connect(m_resized, &QSocketNotifier::activated, this, &TerminalBridge::followWindowSize);
        }
    }
    m_sinceOutput.start();
    m_eof.setInterval(100);
    connect(&m_eof, &QTimer::timeout, this, &TerminalBridge::sendEofWhenQuiet);
    connect(m_stdin, &QSocketNotifier::activated, this, &TerminalBridge::fromStdin);
    connect(m_output, &QSocketNotifier::activated, this, &TerminalBridge::fromMaster);
}

TerminalBridge::~TerminalBridge()
{
    if (m_stdinIsTty)
        ::tcsetattr(STDIN_FILENO, TCSANOW, &m_saved);
    if (m_winch >= 0) {
        delete m_resized;
        ::close(m_winch);
    }
    ::close(m_master);
}

void TerminalBridge::fromStdin()
{
    char buffer[4096];
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        m_stdin->setEnabled(false);
        // The end of piped input: end-of-file for the program on the pty, once it waits for input.
        if (!m_stdinIsTty) {
            if (!m_lastWasNewline)
                writeAll(m_master, "\x04", 1); // ends the pending line first
            m_eof.start();
        }
        return;
    }
    m_lastWasNewline = buffer[n - 1] == '\n';
    if (!writeAll(m_master, buffer, n))
        finish();
}

void TerminalBridge::fromMaster()
{
    char buffer[4096];
    const ssize_t n = ::read(m_master, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    // EIO: every slave fd closed, the process (and whatever it left holding the pty) is gone.
    if (n <= 0 || !writeAll(STDOUT_FILENO, buffer, n)) {
        finish();
        return;
    }
    m_sinceOutput.restart();
}

void TerminalBridge::followWindowSize()
{
    signalfd_siginfo info {};
    while (::read(m_winch, &info, sizeof info) == sizeof info) { } // drain: only the last size counts
    winsize size {};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0)
        ::ioctl(m_master, TIOCSWINSZ, &size); // the kernel signals the program on the pty in turn
}

void TerminalBridge::sendEofWhenQuiet()
{
    // Quiet for 300 ms: the program most likely waits for input (a prompt, a read).
    if (!m_finished && m_sinceOutput.elapsed() >= 300) {
        writeAll(m_master, "\x04", 1);
        m_sinceOutput.restart(); // the next one only after another quiet spell
    }
}

void TerminalBridge::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_stdin->setEnabled(false);
    m_output->setEnabled(false);
    m_eof.stop();
    Q_EMIT done();
}
