#pragma once

#include "libvirtsupport.h"
#include "result.h"

#include <QCoro/QCoroFuture>
#include <QCoro/QCoroTask>
#include <QFuture>
#include <QObject>
#include <QPromise>
#include <QThreadPool>
#include <QTimer>

#include <functional>
#include <memory>
#include <mutex>

namespace Hamlet::Vms {

struct EventRelay;

// The helper's one connection to libvirt, and the rule for using it: blocking libvirt calls run
// on a small worker pool (never on the Qt thread, which serves D-Bus) and are awaited. libvirt's
// own event loop runs on a dedicated thread; lifecycle events and the connection closing are
// handed to the Qt thread as queued signals. When the connection closes (a libvirt daemon
// restart) it is reopened with backoff, and calls made meanwhile fail at once with an error that
// says so, instead of hanging.
//
// For the embedded driver (qemu:///embed?root=DIR) it also writes DIR/etc/qemu.conf: QEMU runs as
// root (the helper owns every file it opens) and logs to files (there is no virtlogd).
class LibvirtConnection : public QObject
{
    Q_OBJECT
public:
    // Call in main() before the QCoreApplication exists. libvirt (9.x) runs its event loop on
    // GLib's default main context; Qt's GLib event dispatcher claims that same context for the
    // Qt thread, and libvirt's thread would then only get to run when the Qt thread lets it.
    // This makes Qt use its own dispatcher instead (the helper has no use for GLib's).
    static void prepareProcess();

    explicit LibvirtConnection(QString uri, QObject *parent = nullptr);
    ~LibvirtConnection() override;

    QString uri() const { return m_uri; }
    bool isEmbedded() const;
    // The embedded driver's root directory, or "" for a daemon connection.
    QString embeddedRoot() const;
    bool isConnected() const;

    // Opens the connection. On failure the error is returned and reconnection keeps being tried
    // in the background (a libvirt daemon that is still starting will be picked up).
    QCoro::Task<Result<void>> open();

    // Runs work(connection) on a worker thread and returns its result on the calling (Qt)
    // thread. Fails at once, without running work, while disconnected. work must report
    // libvirt failures with lastLibvirtError() from inside itself (the error is per thread).
    template <typename T> QCoro::Task<Result<T>> run(std::function<Result<T>(virConnectPtr)> work);

    // How long to wait before the next reconnection attempt after `attempt` failures.
    static std::chrono::milliseconds reconnectDelay(int attempt);

Q_SIGNALS:
    void connected();
    void disconnected(const QString &reason);
    // A VIR_DOMAIN_EVENT_* lifecycle event (virDomainEventType, and its detail).
    void domainLifecycleEvent(const QString &name, int event, int detail);

private:
    friend struct EventRelay;
    virConnectPtr acquire() const; // a new reference, or nullptr while disconnected
    ErrorReply unavailable() const;
    Result<virConnectPtr> openBlocking() const;
    void adopt(virConnectPtr connection);
    void handleClosed(const QString &reason);
    void scheduleReconnect();
    QCoro::Task<> reconnect();
    Result<void> prepareEmbeddedRoot() const;

    QString m_uri;
    mutable std::mutex m_mutex;
    virConnectPtr m_connection = nullptr; // guarded by m_mutex
    int m_lifecycleCallbackId = -1;
    std::shared_ptr<EventRelay> m_relay;
    QString m_lastError;
    int m_reconnectAttempts = 0;
    bool m_reconnecting = false;
    QTimer m_reconnectTimer;
    QThreadPool m_pool;
};

template <typename T> QCoro::Task<Result<T>> LibvirtConnection::run(std::function<Result<T>(virConnectPtr)> work)
{
    virConnectPtr connection = acquire();
    if (!connection)
        co_return unavailable();
    // Through a shared_ptr because QFuture copies its results and some results (fds) cannot be.
    auto promise = std::make_shared<QPromise<std::shared_ptr<Result<T>>>>();
    QFuture<std::shared_ptr<Result<T>>> future = promise->future();
    promise->start();
    m_pool.start([promise, connection, work = std::move(work)] {
        promise->addResult(std::make_shared<Result<T>>(work(connection)));
        virConnectClose(connection); // drops the reference acquire() took
        promise->finish();
    });
    const std::shared_ptr<Result<T>> result = co_await future;
    co_return std::move(*result);
}

} // namespace Hamlet::Vms
