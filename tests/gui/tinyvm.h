#pragma once

// A small real VM for console and display tests: the host's kernel and a busybox initramfs
// built on the fly, under QEMU with TCG (no KVM needed, no download), its console on a unix
// socket in a private directory: the VGA screen through QEMU's VNC server, or the serial port.
#include <QElapsedTimer>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

namespace Hamlet::Test {

class TinyVm
{
public:
    enum class Console {
        Vga, // shell and kernel messages on tty0, served over VNC
        Serial, // shell and kernel messages on ttyS0; QEMU waits for the socket's first client
    };

    ~TinyVm();
    bool start(Console console, QString *error);
    // A connected socket to the VNC server or the serial port: what the helper gets from
    // virDomainOpenGraphicsFD or virDomainOpenConsole.
    int connect(QString *error);
    void stop();

    // The release of the kernel the guest runs (what `uname -r` prints inside).
    QString kernelRelease() const { return m_kernelRelease; }
    qint64 sinceStart() const { return m_started.elapsed(); }
    QProcess &process() { return m_qemu; }

private:
    QTemporaryDir m_dir;
    QString m_socket;
    QString m_kernelRelease;
    QProcess m_qemu;
    QElapsedTimer m_started;
};

} // namespace Hamlet::Test
