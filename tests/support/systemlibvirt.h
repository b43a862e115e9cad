#pragma once

#include <QProcess>
#include <QString>

#include <memory>

namespace Hamlet::Test {

// Debian's own virtlogd and libvirtd in system mode (QEMU as libvirt-qemu, dynamic ownership on:
// what a desktop runs), started by the test without systemd, so that several developers' tests
// can run at once without sharing a daemon, domains or a socket.
//
// How: both daemons run in one private mount namespace (unshare) where libvirt's fixed system
// paths (/etc/libvirt, /var/lib/libvirt, /run/libvirt, /var/log/libvirt, /var/cache/libvirt) are
// bind mounts of directories under `dir`. libvirtd has no option to move its QEMU driver's state,
// and the embedded driver that does is not the daemon under test, so the namespace is what makes
// them private. Outside, the socket is dir/run/libvirt-sock: the helper connects with
// qemu+unix:///system?socket=... The QEMU processes it starts live in that namespace too, so
// stop() finds and ends every one of them. The five mount points are created on the host when
// missing (empty directories, as libvirt-daemon-system would make them).
class SystemLibvirt
{
public:
    // cacheDir (may be shared between runs) holds libvirt's QEMU capability cache: probing QEMU
    // takes a fresh daemon about a minute under TCG on a loaded machine, once per QEMU build.
    SystemLibvirt(QString dir, QString cacheDir);
    ~SystemLibvirt();

    // Starts virtlogd then libvirtd; false with why in error().
    bool start();
    // Ends libvirtd (SIGTERM, or SIGKILL as a crash) and starts it again in the same namespace;
    // QEMU processes and virtlogd keep running.
    void killDaemon(int signal);
    bool startDaemon();
    // Ends every process in the namespace (QEMU included).
    void stop();

    QString uri() const;
    QString socketPath() const;
    qint64 daemonPid() const;
    QString error() const { return m_error; }
    QString directory() const { return m_dir; }

private:
    bool writeConfiguration();
    QString namespaceOf(qint64 pid) const;

    QString m_dir;
    QString m_cacheDir;
    QString m_error;
    QString m_namespace; // the mnt namespace link of virtlogd, e.g. "mnt:[4026532...]"
    std::unique_ptr<QProcess> m_logd;
    std::unique_ptr<QProcess> m_daemon;
};

} // namespace Hamlet::Test
