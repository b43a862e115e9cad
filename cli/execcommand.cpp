#include "execcommand.h"

#include "terminalbridge.h"

#include <QCoro/QCoroSignal>
#include <QCoro/QCoroTimer>
#include <optional>
#include <sys/ioctl.h>
#include <unistd.h>

namespace Hamlet::Ctl {

QCoro::Task<int> execCommand(HelperClient &client, QString name, QStringList argv, QTextStream &err)
{
    if (argv.isEmpty())
        argv << QStringLiteral("sh");
    QVariantMap options;
    winsize size {};
    if (::isatty(STDIN_FILENO) && ::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0) {
        options.insert(QStringLiteral("rows"), uint(size.ws_row));
        options.insert(QStringLiteral("columns"), uint(size.ws_col));
    }
    // Listening before the call: a short command may end before the reply is read.
    QHash<uint, int> ended;
    const QMetaObject::Connection listening = QObject::connect(
        &client, &HelperClient::execExited, &client, [&ended, name](const QString &instance, uint id, int exitCode) {
            if (instance == name)
                ended.insert(id, exitCode);
        });
    const auto started = co_await client.exec(name, argv, options);
    if (const auto *error = std::get_if<ClientError>(&started)) {
        QObject::disconnect(listening);
        err << error->name << ": " << error->message << Qt::endl;
        if (!error->hint.isEmpty())
            err << error->hint << Qt::endl;
        co_return 1;
    }
    const ExecSession session = std::get<ExecSession>(started);
    {
        TerminalBridge bridge(session.terminal); // raw mode on this terminal while it lives
        if (!bridge.finished())
            co_await qCoro(&bridge, &TerminalBridge::done);
    }
    // The pty closes when the process ends; its status follows on the bus a moment later.
    for (int waited = 0; !ended.contains(session.id) && waited < 100; ++waited)
        co_await QCoro::sleepFor(std::chrono::milliseconds(20));
    QObject::disconnect(listening);
    const std::optional<int> code = ended.contains(session.id) ? std::optional(ended.value(session.id)) : std::nullopt;
    if (!code || *code < 0) {
        err << "The exit status of the process in " << name << " is unknown." << Qt::endl;
        co_return 255;
    }
    co_return *code;
}

} // namespace Hamlet::Ctl
