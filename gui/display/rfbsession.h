#pragma once

#include <QImage>
#include <QObject>
#include <QSize>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

struct _rfbClient; // NOLINT(bugprone-reserved-identifier): libvncclient's own name

namespace Hamlet {

// One RFB (VNC) session over an already-connected socket, on libvncclient. libvncclient normally
// connects by itself; here its socket is set to the fd the helper handed over
// (virDomainOpenGraphicsFD) and the connection starts at the RFB handshake, so no network port
// or bridge is ever opened by the GUI. libvncclient's reads block until a whole message is in,
// so the session runs on its own thread: it polls the socket and a wake-up eventfd, decodes
// updates into its framebuffer, and posts finished frames to the owner's thread as QImages.
// Input is queued from the owner's thread and written by the session thread, so the socket has
// one writer. stop() wakes and joins the thread, then closes the fd: nothing outlives it.
class RfbSession : public QObject
{
    Q_OBJECT
public:
    explicit RfbSession(QObject *parent = nullptr);
    ~RfbSession() override;

    // Takes ownership of a connected socket and starts the session thread.
    void start(int fd);
    // Stops the thread (waiting for it) and closes the fd. Safe to call at any time.
    void stop();
    bool isRunning() const { return m_thread.joinable(); }
    int fd() const { return m_fd; }

    void sendKey(uint32_t keysym, bool down);
    void sendPointer(int x, int y, int buttonMask);
    // The newest complete frame, once per frameReady(); a null image if it was already taken.
    QImage takeFrame();

Q_SIGNALS:
    void connected(const QString &desktopName, const QSize &size);
    // A new frame is ready for takeFrame(). At most one is pending: a guest that redraws faster
    // than the UI paints replaces the waiting frame instead of queueing copies of it.
    void frameReady();
    // The session ended by itself (the server closed, a protocol error); not emitted by stop().
    void ended(const QString &reason);

private:
    struct InputEvent {
        bool pointer = false;
        uint32_t keysym = 0;
        bool down = false;
        int x = 0;
        int y = 0;
        int buttons = 0;
    };

    void run(int fd);
    bool handshake(_rfbClient *client, QString *error);
    void sendQueuedInput(_rfbClient *client);
    void queue(const InputEvent &event);
    void postFrame(_rfbClient *client);
    static char rfbClientTag;
    static int8_t allocateFramebuffer(_rfbClient *client);
    static void frameFinished(_rfbClient *client);
    static char *noPassword(_rfbClient *client);

    std::thread m_thread;
    int m_fd = -1;
    int m_wakeFd = -1;
    std::atomic<bool> m_stopping {false};
    std::mutex m_inputMutex;
    std::vector<InputEvent> m_input;
    std::vector<uint8_t> m_framebuffer; // touched only by the session thread
    std::mutex m_frameMutex;
    QImage m_latestFrame;
    std::atomic<bool> m_frameNotified {false};
};

} // namespace Hamlet
