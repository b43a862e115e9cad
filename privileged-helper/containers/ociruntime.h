#pragma once

#include "result.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <QCoro/QCoroTask>
#include <chrono>
#include <functional>

namespace Hamlet::Containers {

// What the runtime says about one container (`runc state`).
struct RuntimeState {
    QString id;
    QString status; // "creating", "created", "running", "paused", "stopped"
    qint64 pid = 0; // init's pid in the helper's pid namespace; 0 when stopped
    QString bundle;
};

struct ExecResult {
    int exitCode = -1;
    QByteArray output; // stdout
    QByteArray errors; // stderr
};

// Drives an OCI runtime binary (runc or crun: the same command line) with its own state root
// (RUNDIR/runc), so it never sees or touches the containers of a system runc or podman. Every
// call is an awaited process, never a blocking wait, and every failure carries the runtime's own
// message (from its JSON log), e.g. `exec: "nope": executable file not found in $PATH`.
class OciRuntime
{
public:
    // The container's stdio when it has no terminal: file descriptors the runtime hands to the
    // container process (-1: /dev/null). They are only read during create().
    struct Stdio {
        int in = -1;
        int out = -1;
        int err = -1;
    };

    OciRuntime(QString binary, QString stateRoot);

    const QString &binary() const { return m_binary; }
    const QString &stateRoot() const { return m_stateRoot; }
    // How long a runtime call may take before it is killed and the call fails (exec has its own).
    void setTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }

    // `create --bundle B --pid-file P [--console-socket S] ID`. With a console socket the runtime
    // sends the pty master there (ConsoleSocket); otherwise the container gets stdio.
    QCoro::Task<Status> create(QString id, QString bundle, QString pidFile, QString consoleSocket, Stdio stdio);
    // create and start in one runtime process ("run --detach"): one process start less.
    QCoro::Task<Status> run(QString id, QString bundle, QString pidFile, QString consoleSocket, Stdio stdio);
    QCoro::Task<Status> start(QString id);
    // Signals init, or every process of the container with all = true.
    QCoro::Task<Status> kill(QString id, int signal, bool all = false);
    QCoro::Task<Status> pause(QString id);
    QCoro::Task<Status> resume(QString id);
    // `delete [--force] ID`: force kills a running container first.
    QCoro::Task<Status> remove(QString id, bool force);
    // NotFound when the runtime does not know the container.
    QCoro::Task<Result<RuntimeState>> state(QString id);
    QCoro::Task<Result<QList<RuntimeState>>> list();
    // Runs argv inside the running container, without a terminal, and waits for it.
    QCoro::Task<Result<ExecResult>> exec(QString id, QStringList argv,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // `exec --detach --process P --console-socket S --pid-file F ID`: starts the OCI process
    // object in file P in the running container (its namespaces, cgroup, seccomp; caps, user and
    // env as P says) on a new pty whose master the runtime sends to S, and returns once it runs.
    QCoro::Task<Status> execDetached(QString id, QString processFile, QString consoleSocket, QString pidFile);

    // The runtime's error message from its JSON log lines ({"level":"error","msg":...}).
    static QString errorFromLog(const QByteArray &jsonLines);
    static RuntimeState stateFromJson(const QByteArray &json);

private:
    QCoro::Task<Status> createProcess(QStringList verb, QString id, QString bundle, QString pidFile,
                                      QString consoleSocket, Stdio stdio);
    struct Run {
        int exitCode = -1;
        QByteArray output;
        QByteArray errors;
        QString runtimeError; // what the runtime logged as an error
        QString message; // for a person, when exitCode != 0
    };
    QCoro::Task<Run> run(QStringList arguments, std::chrono::milliseconds timeout,
                         std::function<void()> childSetup = {});
    QCoro::Task<Status> simple(QStringList arguments, QString what);
    ErrorReply errorFor(const Run &run, const QString &what, const QString &id) const;

    QString m_binary;
    QString m_stateRoot;
    std::chrono::milliseconds m_timeout = std::chrono::seconds(60);
};

} // namespace Hamlet::Containers
