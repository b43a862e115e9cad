#pragma once

#include "dbustypes.h"
#include "expected.h"

#include <QDBusUnixFileDescriptor>
#include <QObject>
#include <QString>
#include <QVariantMap>

#include <QCoro/QCoroTask>
#include <optional>

namespace Hamlet {

class Job;

// Who asked, as the bus daemon tells it (never as the caller claims): for checks such as "the
// helper never opens a file the caller could not read".
struct Caller {
    QString busName;
    uint uid = 0;
    bool mayPrompt = false; // the call allowed interactive authorization (a password dialog)
};

// What is known of one instance: the values behind dev.hamlet.Instance1's properties.
struct InstanceInfo {
    QString name;
    QString kind;
    QString state; // creating, running, paused, stopped, failed
    int exitCode = -1;
    QVariantMap spec;
    qulonglong createdAtMs = 0;
    qulonglong startedAtMs = 0;
    QString error;
    QStringList addresses; // IPv4 addresses on the Hamlet network, while it has any
    // The uid that created it; none for an instance made before owners were recorded.
    std::optional<uint> ownerUid = {};
    // The restart policy's restarts in a row and when the first and last were (ms since the
    // epoch, 0 never); VMs have none.
    uint restartCount = 0;
    qulonglong firstRestartAtMs = 0;
    qulonglong lastRestartAtMs = 0;
};

// A process Exec started: the master of its pty, and the id ExecExited names it by.
struct ExecStarted {
    QDBusUnixFileDescriptor terminal;
    uint id = 0;
};

// What the D-Bus layer needs of a kind of instance (containers, VMs). Every method may take its
// time: none blocks the helper's event loop. Names handed in are known to exist in the registry.
class InstanceBackend : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    virtual QString kind() const = 0; // "container" or "vm"

    // What the backend knows of an instance now (also one a failed create left visible).
    virtual std::optional<InstanceInfo> find(const QString &name) const = 0;

    // At helper start: the instances found on disk, reconciled with the runtime (half-made ones
    // removed, autostart ones started), with their state now.
    virtual QCoro::Task<QList<InstanceInfo>> recover() = 0;

    // Checks a spec before any work starts (InvalidArgument with a reason, or nothing).
    virtual QCoro::Task<Outcome> validate(QString name, QVariantMap spec, Caller caller) = 0;
    // Creates a validated spec; reports progress on the job; on success the instance exists (and
    // runs). On failure nothing of it is left behind. Should stop early when job->isCancelled().
    virtual QCoro::Task<Expected<InstanceInfo>> create(QString name, QVariantMap spec, Caller caller, Job *job) = 0;
    virtual QCoro::Task<Outcome> start(QString name) = 0;
    virtual QCoro::Task<Outcome> stop(QString name, bool force) = 0;
    virtual QCoro::Task<Outcome> pause(QString name) = 0;
    virtual QCoro::Task<Outcome> resume(QString name) = 0;
    virtual QCoro::Task<Outcome> remove(QString name) = 0;
    // Returns a sentence for the caller about what applies when (e.g. "applies at next boot").
    virtual QCoro::Task<Expected<QString>> setLimits(QString name, QVariantMap limits) = 0;
    // Instance1.SetPorts: the published ports of a stopped instance, checked as at create (ports is
    // the aa{sv} argument); Busy while it runs. Nothing changes on an error.
    virtual QCoro::Task<Outcome> setPorts(QString name, QVariant ports, Caller caller) = 0;
    virtual QCoro::Task<Expected<QVariantMap>> inspect(QString name) = 0;
    virtual QCoro::Task<Expected<QDBusUnixFileDescriptor>> openConsole(QString name) = 0;
    virtual QCoro::Task<Expected<QDBusUnixFileDescriptor>> openDisplay(QString name) = 0;
    // Instance1.Exec: a new process in a running instance (options as the contract says); its
    // end is announced with execExited. Only containers have one.
    virtual QCoro::Task<Expected<ExecStarted>> exec(QString name, QStringList argv, QVariantMap options);

    // Cumulative counters of every running instance of this kind, for one sampler tick.
    virtual QCoro::Task<SampleBatch> sample() = 0;

Q_SIGNALS:
    // An instance changed state, by itself (exited, powered off) or through an operation.
    // startedAtMs is set when it (re)started, else 0.
    void stateChanged(const QString &name, const QString &state, int exitCode, qulonglong startedAtMs);
    // A process exec() started ended; exitCode -1 when unknown.
    void execExited(const QString &name, uint id, int exitCode);
    // The backend is about to start an instance (creating: as the last step of its create), so
    // that FirstOutputWatch can time it to its program's first line. outputFile is where that
    // output is kept (a container's log, an image VM's console log), or "" with why: none.
    void startBegins(const QString &name, bool creating, const QString &outputFile, const QString &why);
};

} // namespace Hamlet
