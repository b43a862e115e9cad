#include "childsignal.h"

#include "logging.h"

#include <QCoreApplication>
#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace Hamlet::Containers {

namespace {

int g_writeEnd = -1;
struct sigaction g_previous {
};

void onSigchld(int signal, siginfo_t *info, void *context)
{
    const int savedErrno = errno;
    const char byte = 0;
    // A full pipe already holds a wake-up: losing this byte loses nothing.
    [[maybe_unused]] const ssize_t written = ::write(g_writeEnd, &byte, 1);
    errno = savedErrno;
    if (g_previous.sa_flags & SA_SIGINFO) {
        if (g_previous.sa_sigaction)
            g_previous.sa_sigaction(signal, info, context);
    } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
        g_previous.sa_handler(signal);
    }
}

} // namespace

ChildSignal *ChildSignal::instance()
{
    static ChildSignal *const self = []() -> ChildSignal * {
        int ends[2];
        if (::pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0) {
            Log::containers()->error("cannot make the SIGCHLD pipe: {}", std::strerror(errno));
            return nullptr;
        }
        g_writeEnd = ends[1];
        struct sigaction action {
        };
        action.sa_sigaction = onSigchld;
        action.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
        sigemptyset(&action.sa_mask);
        if (::sigaction(SIGCHLD, &action, &g_previous) != 0) {
            Log::containers()->error("cannot handle SIGCHLD: {}", std::strerror(errno));
            ::close(ends[0]);
            ::close(ends[1]);
            return nullptr;
        }
        return new ChildSignal(UniqueFd(ends[0]), QCoreApplication::instance());
    }();
    return self;
}

ChildSignal::ChildSignal(UniqueFd readEnd, QObject *parent)
    : QObject(parent)
    , m_readEnd(std::move(readEnd))
    , m_notifier(new QSocketNotifier(m_readEnd.get(), QSocketNotifier::Read, this))
{
    connect(m_notifier, &QSocketNotifier::activated, this, &ChildSignal::onReadable);
}

void ChildSignal::onReadable()
{
    char buffer[64];
    while (::read(m_readEnd.get(), buffer, sizeof buffer) > 0) { }
    Q_EMIT childChanged();
}

} // namespace Hamlet::Containers
