#include "rfbsession.h"

#include "logging.h"

#include <rfb/rfbclient.h>

#include <QtEndian>

#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace Hamlet {

char RfbSession::rfbClientTag = 0;

namespace {
void logFromLibvncclient(const char *format, ...)
{
    char line[512];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    std::string_view text(line);
    while (!text.empty() && text.back() == '\n')
        text.remove_suffix(1);
    Log::vms()->debug("libvncclient: {}", text);
}

// How long the session thread sleeps in poll() with nothing to do; stop() and queued input wake
// it earlier through the eventfd, so this only bounds a missed wake-up.
constexpr int pollTimeoutMs = 500;
// Our own SetPixelFormat + SetEncodings instead of libvncclient's SetFormatAndEncodings: that one
// always offers ExtendedDesktopSize, and libvncclient 0.9.14 ignores a server-initiated
// ExtendedDesktopSize whose screen id is 0 (which is what QEMU sends), so a guest mode change
// right after connecting (SeaBIOS to VGA text, the kernel to a framebuffer) leaves it with the
// old size and the next rectangle fails as "too large". Plain DesktopSize it handles.
bool sendFormatAndEncodings(rfbClient *client)
{
    rfbSetPixelFormatMsg pixelFormat {};
    pixelFormat.type = rfbSetPixelFormat;
    pixelFormat.format = client->format;
    pixelFormat.format.redMax = qToBigEndian(client->format.redMax);
    pixelFormat.format.greenMax = qToBigEndian(client->format.greenMax);
    pixelFormat.format.blueMax = qToBigEndian(client->format.blueMax);
    if (!WriteToRFBServer(client, reinterpret_cast<const char *>(&pixelFormat), sz_rfbSetPixelFormatMsg))
        return false;
    // Lossless encodings only (a local socket has bandwidth to spare), and nothing libvncclient
    // cannot decode: an unknown rectangle type would end the session.
    static constexpr uint32_t encodings[] = {rfbEncodingZRLE,     rfbEncodingHextile, rfbEncodingZlib,
                                             rfbEncodingCopyRect, rfbEncodingRaw,     rfbEncodingNewFBSize};
    rfbSetEncodingsMsg header {};
    header.type = rfbSetEncodings;
    header.nEncodings = qToBigEndian(uint16_t(std::size(encodings)));
    QByteArray message(reinterpret_cast<const char *>(&header), sz_rfbSetEncodingsMsg);
    for (const uint32_t encoding : encodings) {
        const uint32_t wire = qToBigEndian(encoding);
        message.append(reinterpret_cast<const char *>(&wire), sizeof wire);
    }
    return WriteToRFBServer(client, message.constData(), unsigned(message.size()));
}
} // namespace

RfbSession::RfbSession(QObject *parent)
    : QObject(parent)
{
    // libvncclient prints to stdout/stderr by default; route it into the "vms" log instead.
    rfbClientLog = logFromLibvncclient;
    rfbClientErr = logFromLibvncclient;
}

RfbSession::~RfbSession()
{
    stop();
}

void RfbSession::start(int fd)
{
    if (fd >= 0 && fd == m_fd && m_thread.joinable())
        return; // already this session's socket
    stop();
    if (fd < 0)
        return;
    m_fd = fd;
    m_wakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    m_stopping = false;
    m_frameNotified = false;
    {
        std::lock_guard lock(m_inputMutex);
        m_input.clear();
    }
    m_thread = std::thread(&RfbSession::run, this, fd);
}

void RfbSession::stop()
{
    if (m_thread.joinable()) {
        m_stopping = true;
        const uint64_t one = 1;
        [[maybe_unused]] const ssize_t n = ::write(m_wakeFd, &one, sizeof one);
        // A read blocked in the middle of a message returns at once once the socket is shut
        // down; the fd itself stays open (so its number cannot be reused) until after the join.
        ::shutdown(m_fd, SHUT_RDWR);
        m_thread.join();
    }
    if (m_wakeFd >= 0) {
        ::close(m_wakeFd);
        m_wakeFd = -1;
    }
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
}

void RfbSession::queue(const InputEvent &event)
{
    if (!m_thread.joinable())
        return;
    {
        std::lock_guard lock(m_inputMutex);
        m_input.push_back(event);
    }
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(m_wakeFd, &one, sizeof one);
}

void RfbSession::sendKey(uint32_t keysym, bool down)
{
    InputEvent event;
    event.keysym = keysym;
    event.down = down;
    queue(event);
}

void RfbSession::sendPointer(int x, int y, int buttonMask)
{
    InputEvent event;
    event.pointer = true;
    event.x = x;
    event.y = y;
    event.buttons = buttonMask;
    queue(event);
}

int8_t RfbSession::allocateFramebuffer(rfbClient *client)
{
    // Called for the first frame and again whenever the guest changes its resolution.
    auto *self = static_cast<RfbSession *>(rfbClientGetClientData(client, &rfbClientTag));
    if (client->width <= 0 || client->height <= 0 || client->width > 16384 || client->height > 16384)
        return FALSE;
    self->m_framebuffer.assign(size_t(client->width) * size_t(client->height) * 4, 0);
    client->frameBuffer = self->m_framebuffer.data();
    return TRUE;
}

void RfbSession::frameFinished(rfbClient *client)
{
    static_cast<RfbSession *>(rfbClientGetClientData(client, &rfbClientTag))->postFrame(client);
}

char *RfbSession::noPassword(rfbClient *)
{
    // The helper hands over a socket that needs no password (libvirt's SKIPAUTH); a server that
    // still asks gets none, and the handshake fails with a message instead of a prompt on stdin.
    return nullptr;
}

void RfbSession::postFrame(rfbClient *client)
{
    const QImage view(client->frameBuffer, client->width, client->height, qsizetype(client->width) * 4,
                      QImage::Format_RGB32);
    QImage frame = view.copy(); // the copy is what crosses threads; the buffer keeps changing
    {
        std::lock_guard lock(m_frameMutex);
        m_latestFrame = std::move(frame);
    }
    if (!m_frameNotified.exchange(true))
        Q_EMIT frameReady(); // queued to the owner's thread
}

QImage RfbSession::takeFrame()
{
    // Cleared before taking: a frame finished right after this still gets its notification.
    m_frameNotified = false;
    std::lock_guard lock(m_frameMutex);
    return std::exchange(m_latestFrame, QImage());
}

bool RfbSession::handshake(rfbClient *client, QString *error)
{
    if (!InitialiseRFBConnection(client)) {
        *error = tr("The VM's display did not complete the VNC handshake (it may require a password).");
        return false;
    }
    client->width = client->si.framebufferWidth;
    client->height = client->si.framebufferHeight;
    if (!client->MallocFrameBuffer(client)) {
        *error = tr("The VM's display has an unusable size (%1x%2).").arg(client->width).arg(client->height);
        return false;
    }
    client->updateRect.x = client->updateRect.y = 0;
    client->updateRect.w = client->width;
    client->updateRect.h = client->height;
    if (!sendFormatAndEncodings(client)
        || !SendFramebufferUpdateRequest(client, 0, 0, client->width, client->height, FALSE)) {
        *error = tr("The VM's display closed during the VNC handshake.");
        return false;
    }
    return true;
}

void RfbSession::sendQueuedInput(rfbClient *client)
{
    std::vector<InputEvent> events;
    {
        std::lock_guard lock(m_inputMutex);
        events.swap(m_input);
    }
    for (const InputEvent &event : events) {
        if (event.pointer)
            SendPointerEvent(client, event.x, event.y, event.buttons);
        else
            SendKeyEvent(client, event.keysym, event.down ? TRUE : FALSE);
    }
}

void RfbSession::run(int fd)
{
    // A write to a socket whose peer is gone must fail with EPIPE, not kill the GUI: SIGPIPE is
    // blocked for this thread only (libvncclient writes with write(), not send(MSG_NOSIGNAL)).
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    pthread_setname_np(pthread_self(), "hamlet-rfb"); // how it shows in ps, gdb and /proc

    // 8 bits per sample, 3 samples, 4 bytes per pixel; shifts chosen so the buffer is
    // QImage::Format_RGB32 (0xffRRGGBB in host order) and needs no conversion.
    rfbClient *client = rfbGetClient(8, 3, 4);
    client->format.redShift = 16;
    client->format.greenShift = 8;
    client->format.blueShift = 0;
    client->canHandleNewFBSize = TRUE;
    client->MallocFrameBuffer = &RfbSession::allocateFramebuffer;
    client->FinishedFrameBufferUpdate = &RfbSession::frameFinished;
    client->GetPassword = &RfbSession::noPassword;
    client->sock = fd;
    rfbClientSetClientData(client, &rfbClientTag, this);

    QString error;
    if (handshake(client, &error)) {
        Q_EMIT connected(QString::fromUtf8(client->desktopName ? client->desktopName : ""),
                         QSize(client->width, client->height));
        while (!m_stopping) {
            sendQueuedInput(client);
            // Bytes libvncclient already buffered never wake poll(): handle them first.
            if (client->buffered == 0) {
                pollfd fds[2] = {{fd, POLLIN, 0}, {m_wakeFd, POLLIN, 0}};
                const int ready = ::poll(fds, 2, pollTimeoutMs);
                if (ready < 0 && errno != EINTR) {
                    error = tr("Waiting for the VM's display failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
                    break;
                }
                if (fds[1].revents & POLLIN) {
                    uint64_t count;
                    [[maybe_unused]] const ssize_t n = ::read(m_wakeFd, &count, sizeof count);
                }
                if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
            }
            if (!HandleRFBServerMessage(client)) {
                error = tr("The VM's display closed the connection.");
                break;
            }
        }
    }
    // The fd belongs to the owner (closed after the join in stop()), not to rfbClientCleanup.
    client->sock = RFB_INVALID_SOCKET;
    client->frameBuffer = nullptr;
    rfbClientCleanup(client);
    m_framebuffer.clear();
    m_framebuffer.shrink_to_fit();
    {
        std::lock_guard lock(m_frameMutex);
        m_latestFrame = QImage();
    }
    if (!m_stopping) {
        Log::vms()->info("display session ended: {}", error);
        Q_EMIT ended(error);
    }
}

} // namespace Hamlet
