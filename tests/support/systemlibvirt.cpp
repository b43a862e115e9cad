#include "systemlibvirt.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QThread>

#include <csignal>
#include <sys/prctl.h>

namespace Hamlet::Test {

namespace {

// libvirt's fixed system paths and the directory under dir each one is in the namespace.
const QList<std::pair<QString, QString>> Mounts {
    {QStringLiteral("etc"), QStringLiteral("/etc/libvirt")},
    {QStringLiteral("lib"), QStringLiteral("/var/lib/libvirt")},
    {QStringLiteral("run"), QStringLiteral("/run/libvirt")},
    {QStringLiteral("log"), QStringLiteral("/var/log/libvirt")},
    {QStringLiteral("cache"), QStringLiteral("/var/cache/libvirt")},
};

void dieWithParent(QProcess &process)
{
    process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
}

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(content) == content.size();
}

} // namespace

SystemLibvirt::SystemLibvirt(QString dir, QString cacheDir)
    : m_dir(std::move(dir))
    , m_cacheDir(std::move(cacheDir))
{ }

SystemLibvirt::~SystemLibvirt()
{
    stop();
}

QString SystemLibvirt::socketPath() const
{
    return m_dir + QStringLiteral("/run/libvirt-sock");
}

QString SystemLibvirt::uri() const
{
    return QStringLiteral("qemu+unix:///system?socket=") + socketPath();
}

qint64 SystemLibvirt::daemonPid() const
{
    return m_daemon && m_daemon->state() == QProcess::Running ? m_daemon->processId() : 0;
}

QString SystemLibvirt::namespaceOf(qint64 pid) const
{
    return QFile::symLinkTarget(QStringLiteral("/proc/%1/ns/mnt").arg(pid));
}

bool SystemLibvirt::writeConfiguration()
{
    // What packaging/install-deps (and Debian's libvirt-daemon-system) does: QEMU's user may open
    // /dev/kvm. Without it this libvirtd probes QEMU again at every call (a minute under load).
    if (QProcess::execute(QStringLiteral("sh"),
                          {QStringLiteral("-c"),
                           QStringLiteral("! getent group kvm >/dev/null || id -nG libvirt-qemu "
                                          "| grep -qw kvm || usermod -a -G kvm libvirt-qemu")})
        != 0) {
        m_error = QStringLiteral("cannot add libvirt-qemu to the kvm group (run packaging/install-deps run)");
        return false;
    }
    for (const auto &[sub, target] : Mounts) {
        if (!QDir().mkpath(m_dir + QLatin1Char('/') + sub) || !QDir().mkpath(target)) {
            m_error = QStringLiteral("cannot create %1 or %2/%3").arg(target, m_dir, sub);
            return false;
        }
    }
    QFile::setPermissions(m_dir,
                          QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup
                              | QFile::ReadOther | QFile::ExeOther);
    // The daemon's socket is for root only (the helper), with no polkit on the host's bus to ask.
    // Everything else, qemu.conf included, is Debian's default: QEMU as libvirt-qemu, dynamic
    // ownership, a private /dev per VM.
    return writeFile(m_dir + QStringLiteral("/etc/libvirtd.conf"),
                     "unix_sock_group = \"root\"\nunix_sock_ro_perms = \"0700\"\nunix_sock_rw_perms = \"0700\"\n"
                     "auth_unix_ro = \"none\"\nauth_unix_rw = \"none\"\n")
        && writeFile(m_dir + QStringLiteral("/etc/qemu.conf"), "")
        && writeFile(m_dir + QStringLiteral("/etc/virtlogd.conf"), "");
}

bool SystemLibvirt::start()
{
    if (!writeConfiguration())
        return false;
    QStringList script;
    for (const auto &[sub, target] : Mounts) {
        const bool cache = sub == QStringLiteral("cache") && !m_cacheDir.isEmpty() && QDir().mkpath(m_cacheDir);
        script << QStringLiteral("mount --bind '%1' '%2'")
                      .arg(cache ? m_cacheDir : m_dir + QLatin1Char('/') + sub, target);
    }
    script << QStringLiteral("exec virtlogd --config /etc/libvirt/virtlogd.conf");
    m_logd = std::make_unique<QProcess>();
    dieWithParent(*m_logd);
    m_logd->setProcessChannelMode(QProcess::MergedChannels);
    m_logd->setStandardOutputFile(m_dir + QStringLiteral("/virtlogd.out"), QIODevice::Append);
    m_logd->start(QStringLiteral("unshare"),
                  {QStringLiteral("--mount"), QStringLiteral("--propagation"), QStringLiteral("private"),
                   QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-ec"),
                   script.join(QStringLiteral("\n"))});
    if (!m_logd->waitForStarted(5000)) {
        m_error = QStringLiteral("cannot start virtlogd: %1 (install 'libvirt-daemon')").arg(m_logd->errorString());
        return false;
    }
    // 30 s: with two cores shared by a test run and builds, virtlogd has taken over 10 s to bind.
    QDeadlineTimer deadline(30000);
    while (!QFile::exists(m_dir + QStringLiteral("/run/virtlogd-sock")) && !deadline.hasExpired()
           && m_logd->state() == QProcess::Running)
        QThread::msleep(20);
    if (!QFile::exists(m_dir + QStringLiteral("/run/virtlogd-sock"))) {
        QFile said(m_dir + QStringLiteral("/virtlogd.out"));
        const QString output = said.open(QIODevice::ReadOnly) ? QString::fromUtf8(said.readAll()) : QString();
        m_error = QStringLiteral("virtlogd did not start (%1) within 30 s; it said: %2")
                      .arg(m_logd->state() == QProcess::Running ? QStringLiteral("still running")
                                                                : QStringLiteral("exited"),
                           output.isEmpty() ? QStringLiteral("nothing") : output);
        return false;
    }
    m_namespace = namespaceOf(m_logd->processId());
    return startDaemon();
}

bool SystemLibvirt::startDaemon()
{
    QFile::remove(socketPath());
    m_daemon = std::make_unique<QProcess>();
    dieWithParent(*m_daemon);
    m_daemon->setProcessChannelMode(QProcess::MergedChannels);
    m_daemon->setStandardOutputFile(m_dir + QStringLiteral("/libvirtd.out"), QIODevice::Append);
    m_daemon->start(QStringLiteral("nsenter"),
                    {QStringLiteral("--target"), QString::number(m_logd->processId()), QStringLiteral("--mount"),
                     QStringLiteral("--"), QStringLiteral("libvirtd"), QStringLiteral("--config"),
                     QStringLiteral("/etc/libvirt/libvirtd.conf"), QStringLiteral("--pid-file"),
                     QStringLiteral("/run/libvirt/libvirtd.pid")});
    if (!m_daemon->waitForStarted(5000)) {
        m_error = QStringLiteral("cannot start libvirtd: %1").arg(m_daemon->errorString());
        return false;
    }
    QDeadlineTimer deadline(20000);
    while (!QFile::exists(socketPath()) && !deadline.hasExpired() && m_daemon->state() == QProcess::Running)
        QThread::msleep(20);
    if (!QFile::exists(socketPath())) {
        m_error = QStringLiteral("libvirtd did not open its socket; see %1/libvirtd.out").arg(m_dir);
        return false;
    }
    return true;
}

void SystemLibvirt::killDaemon(int signal)
{
    if (!m_daemon || m_daemon->state() == QProcess::NotRunning)
        return;
    ::kill(static_cast<pid_t>(m_daemon->processId()), signal);
    if (!m_daemon->waitForFinished(15000)) {
        m_daemon->kill();
        m_daemon->waitForFinished(3000);
    }
    QFile::remove(m_dir + QStringLiteral("/run/libvirtd.pid"));
}

void SystemLibvirt::stop()
{
    if (!m_logd || m_logd->state() == QProcess::NotRunning)
        return;
    // libvirtd first (politely, so it can write its state), then whatever is left in the
    // namespace: QEMU processes, and virtlogd last.
    killDaemon(SIGTERM);
    // QEMU has a mount namespace of its own (libvirt's private /dev): found by its pid file.
    for (const QFileInfo &pidFile :
         QDir(m_dir + QStringLiteral("/run/qemu")).entryInfoList({QStringLiteral("*.pid")}, QDir::Files)) {
        QFile file(pidFile.filePath());
        if (file.open(QIODevice::ReadOnly)) {
            const qint64 pid = file.readAll().trimmed().toLongLong();
            if (pid > 1
                && QFile::symLinkTarget(QStringLiteral("/proc/%1/exe").arg(pid)).contains(QStringLiteral("qemu")))
                ::kill(static_cast<pid_t>(pid), SIGKILL);
        }
    }
    for (int round = 0; round < 2 && !m_namespace.isEmpty(); ++round) {
        for (const QString &entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
            bool numeric = false;
            const qint64 pid = entry.toLongLong(&numeric);
            if (numeric && pid != m_logd->processId() && namespaceOf(pid) == m_namespace)
                ::kill(static_cast<pid_t>(pid), SIGKILL);
        }
        QThread::msleep(200);
    }
    m_logd->terminate();
    if (!m_logd->waitForFinished(5000)) {
        m_logd->kill();
        m_logd->waitForFinished(3000);
    }
}

} // namespace Hamlet::Test
