#pragma once

#include "capabilities.h"
#include "dbustypes.h"

#include <QDBusConnection>
#include <QDBusError>
#include <QObject>
#include <QString>

#include <QCoro/QCoroTask>
#include <memory>
#include <variant>

class Manager1Proxy;

namespace Hamlet {

// A failed call, ready to show: the D-Bus error name, the helper's message, and a hint that says
// what the person can do about it.
struct ClientError {
    QString name;
    QString message;
    QString hint;

    static ClientError fromDBus(const QDBusError &error);
    static ClientError fromName(const QString &name, const QString &message);
    QString text() const; // message and hint, for a label
};

template <typename T> using Result = std::variant<T, ClientError>;

// A process Exec started in a container: the master of its pty (the caller's to close) and the id
// that execExited names it by.
struct ExecSession {
    int terminal = -1;
    uint id = 0;
};

// The client side of the contract, shared by the GUI and hamletctl. Connects to the helper on the
// system bus, or on the bus named by HAMLET_BUS_ADDRESS (tests, development); every call is async.
class HelperClient : public QObject
{
    Q_OBJECT
public:
    // busAddress: "" uses HAMLET_BUS_ADDRESS if set, else the system bus.
    explicit HelperClient(const QString &busAddress = {}, QObject *parent = nullptr);
    ~HelperClient() override;

    QDBusConnection bus() const { return m_bus; }
    QString busDescription() const;

    QCoro::Task<Result<Capabilities>> capabilities();
    QCoro::Task<Result<InstanceSummaryList>> listInstances();

    // Starts a create and returns the job's path (or the refusal: InvalidArgument, Exists, ...).
    QCoro::Task<Result<QString>> createContainer(QString name, QVariantMap spec);
    QCoro::Task<Result<QString>> createVm(QString name, QVariantMap spec);
    // Waits for a job to complete; on success returns its result path (the new instance's).
    QCoro::Task<Result<QString>> waitForJob(QString jobPath);

    // An Instance1 verb without arguments ("Start", "Pause", ...) or Stop(force).
    QCoro::Task<Result<bool>> instanceCall(QString name, QString verb);
    QCoro::Task<Result<bool>> stop(QString name, bool force);
    QCoro::Task<Result<QString>> setLimits(QString name, QVariantMap limits);
    // Instance1.SetPorts: replaces the published ports of a stopped instance (the spec's "ports").
    QCoro::Task<Result<bool>> setPorts(QString name, VariantMapList ports);
    QCoro::Task<Result<QVariantMap>> inspect(QString name);
    QCoro::Task<Result<QVariantMap>> instanceProperties(QString name);
    // "OpenConsole" or "OpenDisplay": the fd is the caller's to close.
    QCoro::Task<Result<int>> openFd(QString name, QString verb);
    // Instance1.Exec: argv in a running container on a new pty (options: rows, columns). Its end
    // comes as execExited, to this client only.
    QCoro::Task<Result<ExecSession>> exec(QString name, QStringList argv, QVariantMap options = {});

    QCoro::Task<Result<VariantMapList>> listImages();
    // Start a pull or an import and return the job's path; follow it with jobChanged and
    // waitForJob. importImage does not take ownership of archiveFd.
    QCoro::Task<Result<QString>> pullImage(QString reference, QVariantMap options);
    QCoro::Task<Result<QString>> importImage(int archiveFd, QString format, QVariantMap options);
    QCoro::Task<Result<bool>> removeImage(QString name);
    QCoro::Task<Result<bool>> cancelJob(QString jobPath);
    // All Job1 properties at once (Progress, BytesDone, BytesTotal, Layers, Done, ...): what a
    // watcher missed before it knew the job's path, and the final figures after Completed.
    QCoro::Task<Result<QVariantMap>> jobProperties(QString jobPath);

    // The recorded history of an instance over [fromNs, toNs] (Unix ns), at most maxPoints points
    // (0: as fine as kept).
    QCoro::Task<Result<HistoryData>> history(QString name, qlonglong fromNs, qlonglong toNs, uint maxPoints);

    QCoro::Task<Result<bool>> subscribe(uint intervalMs);
    QCoro::Task<Result<bool>> unsubscribe();

Q_SIGNALS:
    void instanceAdded(const QString &name, const QString &kind);
    void instanceRemoved(const QString &name);
    // A PropertiesChanged of an instance (State, ExitCode, StartedAt, Spec).
    void instanceChanged(const QString &name, const QVariantMap &changed);
    void samples(qulonglong monotonicNs, const Hamlet::SampleBatch &batch);
    void imagesChanged();
    // A PropertiesChanged of a job (Progress, BytesDone, BytesTotal, Layers, Done, ...).
    void jobChanged(const QString &jobPath, const QVariantMap &changed);
    // A process exec() started ended: its status, 128+N when killed by signal N, -1 unknown.
    void execExited(const QString &name, uint id, int exitCode);

private Q_SLOTS:
    void onPropertiesChanged(const QDBusMessage &message);
    void onManagerSignal(const QDBusMessage &message);
    void onExecExited(const QDBusMessage &message);

private:
    // Calls that change something allow interactive authorization (polkit may ask for a password).
    QCoro::Task<Result<QDBusMessage>> callInstance(QString name, QString verb, QVariantList arguments);
    QCoro::Task<Result<QDBusMessage>> interactiveManagerCall(QString member, QVariantList arguments);
    // A call that lets polkit ask the person for a password.
    QCoro::Task<Result<QDBusMessage>> interactiveCall(QString path, QString interface, QString member,
                                                      QVariantList arguments);

    QString m_busDescription; // before m_bus: filled in while m_bus is connected
    QDBusConnection m_bus;
    std::unique_ptr<Manager1Proxy> m_manager;
};

} // namespace Hamlet
