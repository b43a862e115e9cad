#include "libvirtconnection.h"

#include "logging.h"

#include <QAbstractEventDispatcher>
#include <QDir>
#include <QFile>
#include <QPointer>
#include <QSaveFile>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>
#include <atomic>
#include <grp.h>
#include <pwd.h>
#include <thread>
#include <vector>

namespace Hamlet::Vms {

// What libvirt's callbacks (on its event loop thread) know of the connection: a pointer that the
// connection clears, under the mutex, before it goes away, so no callback posts to a dead object.
struct EventRelay {
    std::mutex mutex;
    LibvirtConnection *target = nullptr;

    template <typename F> void post(F &&deliver)
    {
        std::lock_guard lock(mutex);
        if (target)
            QMetaObject::invokeMethod(
                target, [target = target, deliver = std::forward<F>(deliver)] { deliver(target); },
                Qt::QueuedConnection);
    }
};

namespace {

// libvirt's default event loop on its own thread, once per process: the embedded driver and the
// remote driver's keepalive, events and streams all need it. It must exist before the first
// virConnectOpen, hence a function-local static used by every connection's constructor.
class EventLoopThread
{
public:
    static void ensureRunning() { static EventLoopThread instance; }

private:
    EventLoopThread()
    {
        virInitialize();
        installLibvirtErrorHandler();
        if (virEventRegisterDefaultImpl() < 0)
            Log::vms()->error("cannot register libvirt's event loop: VM events and consoles will not work");
        m_thread = std::thread([this] {
            while (!m_quit.load())
                virEventRunDefaultImpl();
        });
    }
    ~EventLoopThread()
    {
        m_quit.store(true);
        // A timer due now wakes the loop so it sees m_quit.
        virEventAddTimeout(
            0, [](int timer, void *) { virEventRemoveTimeout(timer); }, nullptr, nullptr);
        m_thread.join();
    }

    std::atomic<bool> m_quit {false};
    std::thread m_thread;
};

using RelayHandle = std::shared_ptr<EventRelay>;

void freeRelay(void *opaque)
{
    delete static_cast<RelayHandle *>(opaque);
}

int onLifecycle(virConnectPtr, virDomainPtr domain, int event, int detail, void *opaque)
{
    const QString name = QString::fromUtf8(virDomainGetName(domain));
    (*static_cast<RelayHandle *>(opaque))->post([name, event, detail](LibvirtConnection *connection) {
        Q_EMIT connection->domainLifecycleEvent(name, event, detail);
    });
    return 0;
}

QString closeReasonText(int reason)
{
    switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_ERROR:
        return QStringLiteral("a read or write error");
    case VIR_CONNECT_CLOSE_REASON_EOF:
        return QStringLiteral("the libvirt daemon went away");
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
        return QStringLiteral("the libvirt daemon stopped answering");
    default:
        return QStringLiteral("the client closed it");
    }
}

template <typename T> QCoro::Task<T> onPool(QThreadPool &pool, std::function<T()> work)
{
    auto promise = std::make_shared<QPromise<T>>();
    QFuture<T> future = promise->future();
    promise->start();
    pool.start([promise, work = std::move(work)] {
        promise->addResult(work());
        promise->finish();
    });
    co_return co_await future;
}

const QByteArray EmbeddedQemuConf = QByteArrayLiteral(
    "# Written by hamlet-helper for its embedded libvirt QEMU driver; edits are overwritten.\n"
    "# QEMU runs as root: the helper owns every file a VM uses, and no daemon can relabel them.\n"
    "user = \"root\"\n"
    "group = \"root\"\n"
    "# There is no virtlogd next to an embedded driver: QEMU's output goes straight to a file.\n"
    "stdio_handler = \"file\"\n"
    "# No private /dev namespace per VM: setting one up fails inside containers and some sandboxes\n"
    "# (\"Unable to move ... mount to /dev/null\"), and QEMU already runs as the helper's user.\n"
    "namespaces = []\n"
    "# QEMU runs as root, so there is nothing to chown, and libvirt must not mark the host's files\n"
    "# (the tiny VM boots /boot's kernel) with its ownership-tracking attributes.\n"
    "dynamic_ownership = 0\n"
    "remember_owner = 0\n");

// A system libvirtd whose QEMU user (Debian: libvirt-qemu) cannot open /dev/kvm judges its QEMU
// capability cache outdated at every call and probes QEMU again: a minute per VM operation under
// TCG on a busy machine. Debian's libvirt-daemon-system adds the user to "kvm"; say so if not.
void warnAboutKvmGroup()
{
    const group *kvm = ::getgrnam("kvm");
    const passwd *qemu = ::getpwnam("libvirt-qemu");
    if (!kvm || !qemu || !QFile::exists(QStringLiteral("/dev/kvm")))
        return;
    int count = 64;
    std::vector<gid_t> groups(count);
    if (::getgrouplist(qemu->pw_name, qemu->pw_gid, groups.data(), &count) < 0) {
        groups.resize(count);
        ::getgrouplist(qemu->pw_name, qemu->pw_gid, groups.data(), &count);
    }
    groups.resize(count);
    if (std::find(groups.cbegin(), groups.cend(), kvm->gr_gid) == groups.cend())
        Log::vms()->warn("libvirt-qemu is not in the kvm group: libvirtd probes QEMU again at every call, which makes "
                         "each VM operation take seconds to a minute; run 'usermod -a -G kvm libvirt-qemu' and "
                         "restart libvirtd");
}

} // namespace

void LibvirtConnection::prepareProcess()
{
    qputenv("QT_NO_GLIB", "1");
}

LibvirtConnection::LibvirtConnection(QString uri, QObject *parent)
    : QObject(parent)
    , m_uri(std::move(uri))
    , m_relay(std::make_shared<EventRelay>())
{
    EventLoopThread::ensureRunning();
    const QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance();
    if (dispatcher && QByteArray(dispatcher->metaObject()->className()).contains("Glib"))
        Log::vms()->error("Qt's event loop runs on GLib's default context, which libvirt's event loop needs for "
                          "itself: VM consoles and events stall while the Qt thread is busy. Call "
                          "LibvirtConnection::prepareProcess() before creating the QCoreApplication.");
    m_relay->target = this;
    m_pool.setMaxThreadCount(4);
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, [this] { reconnect(); });
}

LibvirtConnection::~LibvirtConnection()
{
    {
        std::lock_guard lock(m_relay->mutex);
        m_relay->target = nullptr;
    }
    m_pool.waitForDone();
    std::lock_guard lock(m_mutex);
    if (m_connection) {
        if (m_lifecycleCallbackId >= 0)
            virConnectDomainEventDeregisterAny(m_connection, m_lifecycleCallbackId);
        virConnectClose(m_connection);
        m_connection = nullptr;
    }
}

bool LibvirtConnection::isEmbedded() const
{
    return !embeddedRoot().isEmpty();
}

QString LibvirtConnection::embeddedRoot() const
{
    const QUrl url(m_uri);
    if (url.path() != QStringLiteral("/embed"))
        return {};
    return QUrlQuery(url).queryItemValue(QStringLiteral("root"), QUrl::FullyDecoded);
}

bool LibvirtConnection::isConnected() const
{
    std::lock_guard lock(m_mutex);
    return m_connection != nullptr;
}

virConnectPtr LibvirtConnection::acquire() const
{
    std::lock_guard lock(m_mutex);
    if (m_connection)
        virConnectRef(m_connection);
    return m_connection;
}

ErrorReply LibvirtConnection::unavailable() const
{
    return failure(Error::Busy,
                   QStringLiteral("The connection to libvirt (%1) is closed%2; Hamlet is reconnecting, try again in "
                                  "a moment.")
                       .arg(m_uri, m_lastError.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(m_lastError)));
}

Result<void> LibvirtConnection::prepareEmbeddedRoot() const
{
    const QString root = embeddedRoot();
    if (root.isEmpty())
        return {};
    // QEMU's monitor socket lives under the root and a UNIX socket path has 108 bytes.
    if (root.size() > 60)
        Log::vms()->warn("the embedded libvirt root {} is long; QEMU socket paths may not fit", root);
    const QString path = root + QStringLiteral("/etc/qemu.conf");
    if (!QDir().mkpath(root + QStringLiteral("/etc")))
        return failure(Error::Failed,
                       QStringLiteral("Cannot create %1/etc for the embedded libvirt driver.").arg(root));
    QFile existing(path);
    if (existing.open(QIODevice::ReadOnly) && existing.readAll() == EmbeddedQemuConf)
        return {};
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(EmbeddedQemuConf) != EmbeddedQemuConf.size() || !out.commit())
        return failure(Error::Failed, QStringLiteral("Cannot write %1: %2.").arg(path, out.errorString()));
    return {};
}

Result<virConnectPtr> LibvirtConnection::openBlocking() const
{
    if (Result<void> prepared = prepareEmbeddedRoot(); !prepared)
        return prepared.error();
    virConnectPtr connection = virConnectOpen(m_uri.toUtf8().constData());
    if (!connection) {
        ErrorReply error = lastLibvirtError(QStringLiteral("Cannot connect to libvirt at %1").arg(m_uri));
        // libvirt's QEMU driver (embedded too) resolves its build-time user before reading any
        // configuration, so a host without libvirt-daemon-system lacks it.
        if (error.message.contains(QStringLiteral("Failed to parse user")))
            error.message += QStringLiteral(" — install the 'libvirt-daemon-system' package, or create the user with "
                                            "'adduser --system --group --no-create-home libvirt-qemu'.");
        return error;
    }
    // Notices a daemon that stopped answering (the embedded driver has no keepalive: -1 is fine).
    virConnectSetKeepAlive(connection, 5, 3);
    return connection;
}

void LibvirtConnection::adopt(virConnectPtr connection)
{
    auto *closeRelay = new RelayHandle(m_relay);
    virConnectRegisterCloseCallback(
        connection,
        [](virConnectPtr closed, int reason, void *opaque) {
            (*static_cast<RelayHandle *>(opaque))->post([closed, reason](LibvirtConnection *self) {
                std::unique_lock lock(self->m_mutex);
                if (self->m_connection != closed)
                    return; // an older connection, already replaced
                lock.unlock();
                self->handleClosed(closeReasonText(reason));
            });
        },
        closeRelay, freeRelay);
    auto *lifecycleRelay = new RelayHandle(m_relay);
    const int callbackId
        = virConnectDomainEventRegisterAny(connection, nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                           VIR_DOMAIN_EVENT_CALLBACK(onLifecycle), lifecycleRelay, freeRelay);
    if (callbackId < 0) {
        lastLibvirtError(QStringLiteral("Cannot subscribe to VM lifecycle events"));
        delete lifecycleRelay;
    }
    {
        std::lock_guard lock(m_mutex);
        m_connection = connection;
        m_lifecycleCallbackId = callbackId;
    }
    m_lastError.clear();
    m_reconnectAttempts = 0;
    Log::vms()->info("connected to libvirt at {}", m_uri);
    if (!isEmbedded())
        warnAboutKvmGroup();
    Q_EMIT connected();
}

QCoro::Task<Result<void>> LibvirtConnection::open()
{
    if (isConnected())
        co_return Result<void> {};
    std::function<Result<virConnectPtr>()> work = [this] { return openBlocking(); };
    const Result<virConnectPtr> opened = co_await onPool<Result<virConnectPtr>>(m_pool, std::move(work));
    if (!opened) {
        m_lastError = opened.error().message;
        scheduleReconnect();
        co_return opened.error();
    }
    adopt(opened.value());
    co_return Result<void> {};
}

void LibvirtConnection::handleClosed(const QString &reason)
{
    virConnectPtr old = nullptr;
    int callbackId = -1;
    {
        std::lock_guard lock(m_mutex);
        old = std::exchange(m_connection, nullptr);
        callbackId = std::exchange(m_lifecycleCallbackId, -1);
    }
    if (!old)
        return;
    m_lastError = reason;
    Log::vms()->warn("the connection to libvirt at {} closed: {}; reconnecting", m_uri, reason);
    m_pool.start([old, callbackId] {
        if (callbackId >= 0)
            virConnectDomainEventDeregisterAny(old, callbackId);
        virConnectClose(old);
    });
    Q_EMIT disconnected(reason);
    scheduleReconnect();
}

std::chrono::milliseconds LibvirtConnection::reconnectDelay(int attempt)
{
    // 0.25 s, 0.5 s, 1 s, then every 2 s: a restarted daemon is picked up within 2 s of its
    // socket being back (charts resume within 5 s: issue 15), and a failed attempt on a local
    // socket costs one connect(), so trying every 2 s while it is gone costs nothing.
    return std::chrono::milliseconds(250) * (1 << std::min(attempt, 3));
}

void LibvirtConnection::scheduleReconnect()
{
    if (m_reconnecting || m_reconnectTimer.isActive())
        return;
    m_reconnectTimer.start(reconnectDelay(m_reconnectAttempts));
}

QCoro::Task<> LibvirtConnection::reconnect()
{
    if (isConnected() || m_reconnecting)
        co_return;
    m_reconnecting = true;
    const QPointer<LibvirtConnection> alive(this);
    std::function<Result<virConnectPtr>()> work = [this] { return openBlocking(); };
    const Result<virConnectPtr> opened = co_await onPool<Result<virConnectPtr>>(m_pool, std::move(work));
    if (!alive) {
        // Destroyed while the attempt ran (helper shutdown): nobody wants this connection.
        if (opened)
            virConnectClose(opened.value());
        co_return;
    }
    m_reconnecting = false;
    if (!opened) {
        ++m_reconnectAttempts;
        m_lastError = opened.error().message;
        scheduleReconnect();
        co_return;
    }
    adopt(opened.value());
}

} // namespace Hamlet::Vms
