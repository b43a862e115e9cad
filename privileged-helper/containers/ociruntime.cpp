#include "ociruntime.h"

#include "logging.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryFile>

#include <QCoro/QCoroProcess>
#include <fcntl.h>
#include <unistd.h>

namespace Hamlet::Containers {

OciRuntime::OciRuntime(QString binary, QString stateRoot)
    : m_binary(std::move(binary))
    , m_stateRoot(std::move(stateRoot))
{
    QDir().mkpath(m_stateRoot);
    QFile::setPermissions(m_stateRoot, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
}

QString OciRuntime::errorFromLog(const QByteArray &jsonLines)
{
    QStringList messages;
    for (const QByteArray &line : jsonLines.split('\n')) {
        const QJsonObject entry = QJsonDocument::fromJson(line).object();
        const QString level = entry.value(QStringLiteral("level")).toString();
        if (level == QStringLiteral("error") || level == QStringLiteral("fatal")) {
            const QString message = entry.value(QStringLiteral("msg")).toString().trimmed();
            if (!message.isEmpty() && !messages.contains(message))
                messages << message;
        }
    }
    return messages.join(QStringLiteral("; "));
}

RuntimeState OciRuntime::stateFromJson(const QByteArray &json)
{
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    RuntimeState state;
    state.id = object.value(QStringLiteral("id")).toString();
    state.status = object.value(QStringLiteral("status")).toString();
    state.pid = object.value(QStringLiteral("pid")).toInteger();
    state.bundle = object.value(QStringLiteral("bundle")).toString();
    return state;
}

QCoro::Task<OciRuntime::Run> OciRuntime::run(QStringList arguments, std::chrono::milliseconds timeout,
                                             std::function<void()> childSetup)
{
    Run result;
    // The runtime logs its errors as JSON into this file; its stderr may belong to the container.
    QTemporaryFile log(m_stateRoot + QStringLiteral("/call-XXXXXX.log"));
    if (!log.open()) {
        result.message = QStringLiteral("cannot create a log file in %1: %2").arg(m_stateRoot, log.errorString());
        co_return result;
    }
    const QStringList fullArguments
        = QStringList {QStringLiteral("--root"),       m_stateRoot,           QStringLiteral("--log"), log.fileName(),
                       QStringLiteral("--log-format"), QStringLiteral("json")}
        + arguments;
    QProcess process;
    process.setProgram(m_binary);
    process.setArguments(fullArguments);
    if (childSetup)
        process.setChildProcessModifier(childSetup);
    Log::containers()->debug("{} {}", m_binary, fullArguments.join(QLatin1Char(' ')));
    auto coprocess = qCoro(process);
    if (!co_await coprocess.start()) {
        result.message = QStringLiteral("cannot run %1 (%2): install the 'runc' package or choose another runtime")
                             .arg(m_binary, process.errorString());
        co_return result;
    }
    if (!co_await coprocess.waitForFinished(timeout)) {
        process.kill();
        process.waitForFinished(1000);
        result.message = QStringLiteral("%1 %2 did not finish within %3 s")
                             .arg(m_binary, arguments.value(0))
                             .arg(std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
        co_return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.output = process.readAllStandardOutput();
    result.errors = process.readAllStandardError();
    result.runtimeError = errorFromLog(log.readAll());
    if (result.exitCode != 0) {
        result.message = result.runtimeError;
        if (result.message.isEmpty())
            result.message = QString::fromUtf8(result.errors).trimmed();
        if (result.message.isEmpty())
            result.message = QStringLiteral("%1 exited with status %2").arg(m_binary).arg(result.exitCode);
    }
    co_return result;
}

ErrorReply OciRuntime::errorFor(const Run &run, const QString &what, const QString &id) const
{
    const QString text = QStringLiteral("%1 of container %2 failed: %3").arg(what, id, run.message);
    if (run.message.contains(QStringLiteral("does not exist")))
        return ErrorReply {Error::NotFound, text};
    return failed(text);
}

QCoro::Task<Status> OciRuntime::simple(QStringList arguments, QString what)
{
    const QString id = arguments.last();
    const Run result = co_await run(std::move(arguments), m_timeout);
    if (result.exitCode != 0)
        co_return errorFor(result, what, id);
    co_return success();
}

QCoro::Task<Status> OciRuntime::create(QString id, QString bundle, QString pidFile, QString consoleSocket, Stdio stdio)
{
    return createProcess({QStringLiteral("create")}, id, bundle, pidFile, consoleSocket, stdio);
}

QCoro::Task<Status> OciRuntime::run(QString id, QString bundle, QString pidFile, QString consoleSocket, Stdio stdio)
{
    return createProcess({QStringLiteral("run"), QStringLiteral("--detach")}, id, bundle, pidFile, consoleSocket,
                         stdio);
}

QCoro::Task<Status> OciRuntime::createProcess(QStringList verb, QString id, QString bundle, QString pidFile,
                                              QString consoleSocket, Stdio stdio)
{
    QStringList arguments = verb;
    arguments << QStringLiteral("--bundle") << bundle << QStringLiteral("--pid-file") << pidFile;
    if (!consoleSocket.isEmpty())
        arguments << QStringLiteral("--console-socket") << consoleSocket;
    arguments << id;
    // In the child, just before exec: give the runtime (and so the container) the stdio it was
    // asked for. Only async-signal-safe calls here.
    auto setup = [stdio] {
        const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        ::dup2(stdio.in >= 0 ? stdio.in : null, STDIN_FILENO);
        ::dup2(stdio.out >= 0 ? stdio.out : null, STDOUT_FILENO);
        ::dup2(stdio.err >= 0 ? stdio.err : null, STDERR_FILENO);
    };
    // Twice the other verbs' time: create and run set up a whole container (120 s by default).
    const Run result = co_await run(arguments, 2 * m_timeout, setup);
    if (result.exitCode != 0)
        co_return errorFor(result, verb.first(), id);
    co_return success();
}

QCoro::Task<Status> OciRuntime::start(QString id)
{
    return simple({QStringLiteral("start"), id}, QStringLiteral("start"));
}

QCoro::Task<Status> OciRuntime::kill(QString id, int signal, bool all)
{
    QStringList arguments {QStringLiteral("kill")};
    if (all)
        arguments << QStringLiteral("--all");
    arguments << id << QString::number(signal);
    const Run result = co_await run(arguments, m_timeout);
    if (result.exitCode != 0)
        co_return errorFor(result, QStringLiteral("kill"), id);
    co_return success();
}

QCoro::Task<Status> OciRuntime::pause(QString id)
{
    return simple({QStringLiteral("pause"), id}, QStringLiteral("pause"));
}

QCoro::Task<Status> OciRuntime::resume(QString id)
{
    return simple({QStringLiteral("resume"), id}, QStringLiteral("resume"));
}

QCoro::Task<Status> OciRuntime::remove(QString id, bool force)
{
    QStringList arguments {QStringLiteral("delete")};
    if (force)
        arguments << QStringLiteral("--force");
    return simple(arguments << id, QStringLiteral("delete"));
}

QCoro::Task<Result<RuntimeState>> OciRuntime::state(QString id)
{
    // (Arguments built before co_await: GCC 12 miscompiles initializer lists inside it.)
    const QStringList arguments {QStringLiteral("state"), id};
    const Run result = co_await run(arguments, m_timeout);
    if (result.exitCode != 0)
        co_return errorFor(result, QStringLiteral("state"), id);
    co_return stateFromJson(result.output);
}

QCoro::Task<Result<QList<RuntimeState>>> OciRuntime::list()
{
    const QStringList arguments {QStringLiteral("list"), QStringLiteral("--format"), QStringLiteral("json")};
    const Run result = co_await run(arguments, m_timeout);
    if (result.exitCode != 0)
        co_return failed(QStringLiteral("listing containers failed: %1").arg(result.message));
    QList<RuntimeState> states;
    // runc prints "null" when there are none.
    for (const auto &value : QJsonDocument::fromJson(result.output).array())
        states << stateFromJson(QJsonDocument(value.toObject()).toJson());
    co_return states;
}

QCoro::Task<Result<ExecResult>> OciRuntime::exec(QString id, QStringList argv, std::chrono::milliseconds timeout)
{
    const QStringList arguments = QStringList {QStringLiteral("exec"), id} + argv;
    const Run result = co_await run(arguments, timeout);
    if (result.exitCode < 0)
        co_return errorFor(result, QStringLiteral("exec"), id);
    // A non-zero status may be the command's own: the caller decides. The runtime's own failures
    // (no such container, no such executable) are the ones in its log.
    if (result.exitCode != 0 && !result.runtimeError.isEmpty())
        co_return errorFor(result, QStringLiteral("exec"), id);
    co_return ExecResult {result.exitCode, result.output, result.errors};
}

QCoro::Task<Status> OciRuntime::execDetached(QString id, QString processFile, QString consoleSocket, QString pidFile)
{
    const QStringList arguments {QStringLiteral("exec"),
                                 QStringLiteral("--detach"),
                                 QStringLiteral("--process"),
                                 processFile,
                                 QStringLiteral("--console-socket"),
                                 consoleSocket,
                                 QStringLiteral("--pid-file"),
                                 pidFile,
                                 id};
    const Run result = co_await run(arguments, m_timeout);
    if (result.exitCode != 0)
        co_return errorFor(result, QStringLiteral("exec"), id);
    co_return success();
}

} // namespace Hamlet::Containers
