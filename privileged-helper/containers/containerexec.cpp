// ContainerBackend: a new process with a terminal in a running container (Instance1.Exec).
#include "containerbackend.h"

#include "consolesocket.h"
#include "exitwatcher.h"
#include "logging.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryFile>

#include <csignal>

namespace Hamlet::Containers {

namespace {

// The container's own process object (config.json), running argv on a terminal instead: so the
// new process gets exactly the container's user, env, cwd, capabilities, rlimits and
// no_new_privs, and none of them can be chosen by the caller.
Result<QJsonObject> processFor(const QString &configPath, const QStringList &argv, int rows, int cols)
{
    const QByteArray config = readSmallFile(configPath);
    QJsonObject process = QJsonDocument::fromJson(config).object().value(QStringLiteral("process")).toObject();
    if (process.isEmpty())
        return failed(QStringLiteral("the container's %1 has no process: restart the container").arg(configPath));
    process.insert(QStringLiteral("args"), QJsonArray::fromStringList(argv));
    process.insert(QStringLiteral("terminal"), true);
    if (rows > 0 && cols > 0)
        process.insert(QStringLiteral("consoleSize"),
                       QJsonObject {{QStringLiteral("height"), rows}, {QStringLiteral("width"), cols}});
    else
        process.remove(QStringLiteral("consoleSize"));
    QJsonArray env = process.value(QStringLiteral("env")).toArray();
    const bool hasTerm = std::any_of(env.cbegin(), env.cend(), [](const QJsonValue &entry) {
        return entry.toString().startsWith(QLatin1String("TERM="));
    });
    if (!hasTerm) // a container made without a tty has none, and a shell needs one to edit lines
        env.append(QStringLiteral("TERM=xterm"));
    process.insert(QStringLiteral("env"), env);
    return process;
}

} // namespace

QCoro::Task<Result<ContainerBackend::TerminalSession>> ContainerBackend::execTerminal(QString name, QStringList argv,
                                                                                      int rows, int cols)
{
    if (argv.isEmpty() || argv.first().isEmpty())
        co_return invalidArgument(QStringLiteral("nothing to run: give a program, for example [\"sh\"]"));
    if (rows < 0 || cols < 0 || rows > 1000 || cols > 1000)
        co_return invalidArgument(QStringLiteral("a terminal of %1 rows and %2 columns cannot be made: give 1 to 1000 "
                                                 "of each, or leave them out")
                                      .arg(rows)
                                      .arg(cols));
    Container *container = co_await settled(name);
    if (!container)
        co_return ErrorReply {Error::NotFound, QStringLiteral("there is no container \"%1\"").arg(name)};
    if (container->busy)
        co_return ErrorReply {Error::Busy,
                              QStringLiteral("container \"%1\" is busy with another operation: try again "
                                             "when it is done")
                                  .arg(name)};
    if (container->record.state != ContainerState::Running)
        co_return failed(QStringLiteral("container \"%1\" is %2, not running: start it first to open a shell in it")
                             .arg(name, toString(container->record.state)));

    const QString dir = m_options.runDir + QStringLiteral("/exec");
    if (!QDir().mkpath(dir))
        co_return failed(QStringLiteral("cannot create %1: is the run directory writable?").arg(dir));
    Result<QJsonObject> process = processFor(bundlePath(name) + QStringLiteral("/config.json"), argv, rows, cols);
    if (!process)
        co_return process.error();
    QTemporaryFile processFile(dir + QLatin1Char('/') + name + QStringLiteral("-XXXXXX.json"));
    if (!processFile.open() || processFile.write(QJsonDocument(*process).toJson()) < 0 || !processFile.flush())
        co_return failed(QStringLiteral("cannot write %1: %2").arg(processFile.fileName(), processFile.errorString()));
    // The socket and pid file share the temporary file's unique part, so two shells never clash.
    const QString base = processFile.fileName().chopped(5);
    Result<ConsoleSocket> socket = ConsoleSocket::listen(base + QStringLiteral(".sock"));
    if (!socket)
        co_return socket.error();
    const QString pidFile = base + QStringLiteral(".pid");
    const QString processPath = processFile.fileName(); // named: GCC 12 and temporaries in co_await
    const QString socketPath = socket->path();
    const Status started = co_await m_runtime.execDetached(name, processPath, socketPath, pidFile);
    const qint64 pid = started ? readSmallFile(pidFile).trimmed().toLongLong() : 0;
    QFile::remove(pidFile);
    if (!started)
        co_return started.error();
    Result<UniqueFd> master = socket->receiveMaster();
    if (!master || pid <= 0) {
        if (pid > 0)
            ::kill(static_cast<pid_t>(pid), SIGKILL); // a process nobody can talk to
        co_return master ? failed(QStringLiteral("the runtime started a process in %1 but wrote no pid").arg(name))
                         : master.error();
    }
    // Orphaned when the runtime exited, the process is the helper's child (the subreaper): the
    // watcher reaps it with its exit code; a zombie already is watched all the same.
    m_execs.insert(pid, name);
    if (ExitWatcher *watcher = ExitWatcher::watch(pid, this)) {
        connect(watcher, &ExitWatcher::exited, this, [this, watcher, name, pid](int exitCode) {
            watcher->deleteLater();
            m_execs.remove(pid);
            Log::containers()->info("container {}: shell {} exited ({})", name, pid, exitCode);
            Q_EMIT execExited(name, pid, exitCode);
        });
    } else {
        m_execs.remove(pid);
        QMetaObject::invokeMethod(
            this, [this, name, pid] { Q_EMIT execExited(name, pid, -1); }, Qt::QueuedConnection);
    }
    Log::containers()->info("container {}: shell {} started: {}", name, pid, argv.join(QLatin1Char(' ')));
    co_return TerminalSession {std::move(master).value(), pid};
}

} // namespace Hamlet::Containers
