#include "quitonsignals.h"

#include "logging.h"

#include <QCoreApplication>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace Hamlet {

namespace {
int g_pipe[2] = {-1, -1};

void onSignal(int signal)
{
    const char number = static_cast<char>(signal);
    [[maybe_unused]] const ssize_t written = ::write(g_pipe[1], &number, 1); // async-signal-safe
}
} // namespace

QuitOnSignals::QuitOnSignals()
{
    if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        Log::helper()->warn("no pipe for signals: SIGTERM will end the helper abruptly");
        return;
    }
    struct sigaction action {
    };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    m_notifier = new QSocketNotifier(g_pipe[0], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [] {
        char number = 0;
        while (::read(g_pipe[0], &number, 1) == 1)
            Log::helper()->info("signal {}: shutting down", static_cast<int>(number));
        QCoreApplication::quit();
    });
}

QuitOnSignals::~QuitOnSignals()
{
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    for (int &fd : g_pipe) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
}

} // namespace Hamlet
