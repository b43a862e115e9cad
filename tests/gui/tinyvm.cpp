#include "tinyvm.h"

#include <QDir>
#include <QFile>
#include <QTest>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace Hamlet::Test {

namespace {
QString findKernel()
{
    const QStringList kernels = QDir(QStringLiteral("/boot")).entryList({QStringLiteral("vmlinuz-*")}, QDir::Files);
    return kernels.isEmpty() ? QString() : QStringLiteral("/boot/") + kernels.last();
}

// An uncompressed newc cpio archive, the format the kernel unpacks as its initramfs.
class Cpio
{
public:
    void add(const QByteArray &name, quint32 mode, const QByteArray &data = {}, quint32 rdevMajor = 0,
             quint32 rdevMinor = 0)
    {
        const quint32 fields[13] = {
            ++m_inode, mode, 0, 0, 1, 0, quint32(data.size()), 0, 0, rdevMajor, rdevMinor, quint32(name.size() + 1), 0};
        QByteArray header("070701");
        for (const quint32 field : fields)
            header += QByteArray::number(field, 16).rightJustified(8, '0');
        m_bytes += header + name + '\0';
        pad();
        m_bytes += data;
        pad();
    }
    QByteArray finish()
    {
        add("TRAILER!!!", 0);
        return m_bytes;
    }

private:
    void pad()
    {
        while (m_bytes.size() % 4)
            m_bytes += '\0';
    }
    QByteArray m_bytes;
    quint32 m_inode = 0;
};
} // namespace

TinyVm::~TinyVm()
{
    stop();
}

bool TinyVm::start(Console console, QString *error)
{
    const QString kernel = findKernel();
    QFile busybox(QStringLiteral("/bin/busybox"));
    if (kernel.isEmpty() || !busybox.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("needs a kernel in /boot and a static /bin/busybox");
        return false;
    }
    m_kernelRelease = kernel.mid(kernel.indexOf(QLatin1Char('-')) + 1);
    Cpio cpio;
    cpio.add("bin", 040755);
    cpio.add("dev", 040755);
    cpio.add("proc", 040755);
    cpio.add("dev/console", 020600, {}, 5, 1);
    cpio.add("bin/busybox", 0100755, busybox.readAll());
    // Ctrl+Alt+Del reboots at once, so a test can see it arrive (QEMU exits: -no-reboot).
    cpio.add("init", 0100755,
             "#!/bin/busybox sh\n"
             "/bin/busybox mount -t proc proc /proc\n"
             "echo 1 > /proc/sys/kernel/ctrl-alt-del\n"
             "export PATH=/bin PS1='guest# '\n"
             "/bin/busybox --install -s /bin\n"
             "exec /bin/busybox sh\n");
    QFile initrd(m_dir.filePath(QStringLiteral("initrd.cpio")));
    if (!initrd.open(QIODevice::WriteOnly) || initrd.write(cpio.finish()) < 0) {
        *error = initrd.errorString();
        return false;
    }
    initrd.close();

    m_socket = m_dir.filePath(QStringLiteral("console.sock"));
    QStringList args {QStringLiteral("-accel"),      QStringLiteral("tcg"),
                      QStringLiteral("-m"),          QStringLiteral("256"),
                      QStringLiteral("-nodefaults"), QStringLiteral("-no-user-config"),
                      QStringLiteral("-display"),    QStringLiteral("none"),
                      QStringLiteral("-kernel"),     kernel,
                      QStringLiteral("-initrd"),     initrd.fileName(),
                      QStringLiteral("-no-reboot")};
    if (console == Console::Vga) {
        args << QStringLiteral("-vga") << QStringLiteral("std") << QStringLiteral("-vnc")
             << QStringLiteral("unix:") + m_socket << QStringLiteral("-append")
             << QStringLiteral("console=tty0 rdinit=/init");
    } else {
        // wait=on: nothing the guest prints is lost before the test connects.
        args << QStringLiteral("-serial") << QStringLiteral("unix:%1,server=on,wait=on").arg(m_socket)
             << QStringLiteral("-append") << QStringLiteral("console=ttyS0 rdinit=/init");
    }
    m_qemu.setProcessChannelMode(QProcess::MergedChannels);
    m_qemu.start(QStringLiteral("qemu-system-x86_64"), args);
    m_started.start();
    if (!m_qemu.waitForStarted(10000)) {
        *error = m_qemu.errorString();
        return false;
    }
    return true;
}

int TinyVm::connect(QString *error)
{
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address {};
        address.sun_family = AF_UNIX;
        qstrncpy(address.sun_path, QFile::encodeName(m_socket).constData(), sizeof address.sun_path);
        if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0)
            return fd;
        ::close(fd);
        if (m_qemu.state() != QProcess::Running)
            break;
        QTest::qWait(100);
    }
    *error = QStringLiteral("cannot connect to QEMU's console socket: ") + QString::fromLocal8Bit(m_qemu.readAll());
    return -1;
}

void TinyVm::stop()
{
    if (m_qemu.state() == QProcess::NotRunning)
        return;
    m_qemu.kill();
    m_qemu.waitForFinished(10000);
}

} // namespace Hamlet::Test
