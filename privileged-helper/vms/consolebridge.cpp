#include "consolebridge.h"

#include "logging.h"

#include <QByteArray>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/socket.h>
#include <unistd.h>

namespace Hamlet::Vms::ConsoleBridge {

namespace {

// Stop reading from one side while this much waits for the other: a stalled reader slows the
// writer instead of growing memory.
constexpr qsizetype BufferLimit = 64 * 1024;

struct Bridge {
    std::mutex mutex;
    QString domainName;
    virStreamPtr stream = nullptr;
    int socket = -1; // our end
    int watch = -1;
    bool closed = false;
    // The client closed its end: what it wrote last (often "poweroff -f" and a newline) still
    // goes to the guest before the bridge closes.
    bool clientGone = false;
    QByteArray toSocket; // from the console, not yet written to the socket
    QByteArray toStream; // from the socket, not yet sent to the console

    void shutdown(const char *why)
    {
        if (closed)
            return;
        closed = true;
        Log::vms()->debug("console of {} closed: {}", domainName, why);
        // As virsh's console does: stop the callbacks, then drop the stream, from the callback.
        virStreamEventRemoveCallback(stream);
        virStreamAbort(stream);
        virStreamFree(stream);
        stream = nullptr;
        // The socket and this object go when libvirt releases the watch (releaseWatch).
        virEventRemoveHandle(watch);
    }

    void flushToSocket()
    {
        if (clientGone) { // nobody reads the guest's output any more
            toSocket.clear();
            return;
        }
        while (!closed && !toSocket.isEmpty()) {
            const ssize_t written = ::send(socket, toSocket.constData(), toSocket.size(), MSG_NOSIGNAL);
            if (written > 0) {
                toSocket.remove(0, written);
            } else if (written < 0 && errno == EINTR) {
                continue;
            } else if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return;
            } else {
                // The client is gone; what it wrote before it left is still to be read.
                clientGone = true;
                toSocket.clear();
                readSocket();
            }
        }
    }

    // Reads what the client wrote; its EOF marks it gone (the data before it still counts).
    void readSocket()
    {
        char buffer[4096];
        while (!closed && toStream.size() < BufferLimit) {
            const ssize_t received = ::read(socket, buffer, sizeof(buffer));
            if (received > 0) {
                toStream.append(buffer, received);
            } else if (received < 0 && errno == EINTR) {
                continue;
            } else if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            } else {
                clientGone = true;
                break;
            }
        }
    }

    void flushToStream()
    {
        while (!closed && !toStream.isEmpty()) {
            const int sent = virStreamSend(stream, toStream.constData(), static_cast<size_t>(toStream.size()));
            if (sent > 0)
                toStream.remove(0, sent);
            else if (sent == -2)
                return; // the stream would block: WRITABLE will call again
            else
                shutdown("the console stream failed");
        }
    }

    void updateEvents()
    {
        if (closed)
            return;
        int streamEvents = VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;
        if (toSocket.size() < BufferLimit)
            streamEvents |= VIR_STREAM_EVENT_READABLE;
        if (!toStream.isEmpty())
            streamEvents |= VIR_STREAM_EVENT_WRITABLE;
        virStreamEventUpdateCallback(stream, streamEvents);
        int socketEvents = 0;
        if (toStream.size() < BufferLimit && !clientGone)
            socketEvents |= VIR_EVENT_HANDLE_READABLE;
        if (!toSocket.isEmpty())
            socketEvents |= VIR_EVENT_HANDLE_WRITABLE;
        virEventUpdateHandle(watch, socketEvents);
    }
};

void onStreamEvent(virStreamPtr, int events, void *opaque)
{
    auto *bridge = static_cast<Bridge *>(opaque);
    std::lock_guard lock(bridge->mutex);
    if (bridge->closed)
        return;
    if (events & VIR_STREAM_EVENT_READABLE) {
        char buffer[4096];
        while (!bridge->closed && bridge->toSocket.size() < BufferLimit) {
            const int received = virStreamRecv(bridge->stream, buffer, sizeof(buffer));
            if (received > 0)
                bridge->toSocket.append(buffer, received);
            else if (received == -2)
                break;
            else
                bridge->shutdown(received == 0 ? "the VM's console ended" : "the console stream failed");
        }
    }
    bridge->flushToSocket();
    if ((events & VIR_STREAM_EVENT_WRITABLE) || bridge->clientGone)
        bridge->flushToStream();
    if (!bridge->closed && bridge->clientGone && bridge->toStream.isEmpty())
        bridge->shutdown("the client closed its end");
    if (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP))
        bridge->shutdown("the console stream hung up");
    bridge->updateEvents();
}

void onSocketEvent(int, int, int events, void *opaque)
{
    auto *bridge = static_cast<Bridge *>(opaque);
    std::lock_guard lock(bridge->mutex);
    if (bridge->closed)
        return;
    if (events & VIR_EVENT_HANDLE_READABLE)
        bridge->readSocket();
    if (!bridge->closed && (events & (VIR_EVENT_HANDLE_ERROR | VIR_EVENT_HANDLE_HANGUP)))
        bridge->clientGone = true;
    bridge->flushToStream();
    if (!bridge->closed && (events & VIR_EVENT_HANDLE_WRITABLE) && !bridge->clientGone)
        bridge->flushToSocket();
    if (!bridge->closed && bridge->clientGone && bridge->toStream.isEmpty())
        bridge->shutdown("the client closed its end");
    bridge->updateEvents();
}

void releaseWatch(void *opaque)
{
    auto *bridge = static_cast<Bridge *>(opaque);
    ::close(bridge->socket);
    delete bridge;
}

} // namespace

Result<UniqueFd> open(virConnectPtr connection, virDomainPtr domain)
{
    const QString name = QString::fromUtf8(virDomainGetName(domain));
    StreamHandle stream(virStreamNew(connection, VIR_STREAM_NONBLOCK));
    if (!stream)
        return lastLibvirtError(QStringLiteral("Cannot create a console stream for the VM \"%1\"").arg(name));
    if (virDomainOpenConsole(domain, nullptr, stream.get(), VIR_DOMAIN_CONSOLE_FORCE) < 0)
        return lastLibvirtError(QStringLiteral("Cannot open the console of the VM \"%1\"").arg(name));

    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) < 0)
        return failure(Error::Failed,
                       QStringLiteral("Cannot create a socket for the console of \"%1\": %2")
                           .arg(name, QString::fromLocal8Bit(std::strerror(errno))));
    UniqueFd clientEnd(ends[1]);
    ::fcntl(ends[0], F_SETFL, ::fcntl(ends[0], F_GETFL) | O_NONBLOCK);

    auto *bridge = new Bridge;
    bridge->domainName = name;
    bridge->socket = ends[0];
    bridge->stream = stream.release();
    // Undoes a half-made bridge; no callback is registered any more when this runs.
    auto discard = [bridge](std::unique_lock<std::mutex> &lock) {
        lock.unlock();
        virStreamAbort(bridge->stream);
        virStreamFree(bridge->stream);
        ::close(bridge->socket);
        delete bridge;
    };
    // Callbacks may fire on the event loop thread as soon as they are added; they wait for this.
    std::unique_lock lock(bridge->mutex);
    if (virStreamEventAddCallback(bridge->stream,
                                  VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP,
                                  onStreamEvent, bridge, nullptr)
        < 0) {
        ErrorReply error = lastLibvirtError(QStringLiteral("Cannot watch the console of the VM \"%1\"").arg(name));
        discard(lock);
        return error;
    }
    bridge->watch = virEventAddHandle(bridge->socket, VIR_EVENT_HANDLE_READABLE, onSocketEvent, bridge, releaseWatch);
    if (bridge->watch < 0) {
        virStreamEventRemoveCallback(bridge->stream);
        discard(lock);
        return failure(Error::Failed, QStringLiteral("Cannot watch the console socket of the VM \"%1\".").arg(name));
    }
    Log::vms()->debug("console of {} opened", name);
    return clientEnd;
}

} // namespace Hamlet::Vms::ConsoleBridge
