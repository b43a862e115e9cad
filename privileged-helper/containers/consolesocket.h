#pragma once

#include "fsutil.h"
#include "result.h"

#include <QString>

namespace Hamlet::Containers {

// The --console-socket of an OCI runtime: a listening unix socket to which the runtime, during
// create, connects and sends the container's pty master as SCM_RIGHTS. The master is what
// OpenConsole hands to the GUI. The socket file is removed when this object goes.
class ConsoleSocket
{
public:
    static Result<ConsoleSocket> listen(const QString &path);

    ConsoleSocket(ConsoleSocket &&other) noexcept;
    ConsoleSocket &operator=(ConsoleSocket &&) = delete;
    ConsoleSocket(const ConsoleSocket &) = delete;
    ~ConsoleSocket();

    const QString &path() const { return m_path; }
    // Call after create succeeded: the runtime has sent the fd by then, so this does not wait
    // unless the runtime misbehaved (then it gives up after timeoutMs).
    Result<UniqueFd> receiveMaster(int timeoutMs = 5000);

private:
    ConsoleSocket(QString path, UniqueFd socket);

    QString m_path;
    UniqueFd m_socket;
};

} // namespace Hamlet::Containers
