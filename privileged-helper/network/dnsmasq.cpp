#include "dnsmasq.h"

#include "logging.h"

#include <QFile>
#include <QProcess>
#include <QSaveFile>

#include <csignal>
#include <thread>

namespace Hamlet::Network {

using Containers::failed;
using Containers::Status;
using Containers::success;

namespace {
Status writeAtomically(const QString &path, const QByteArray &content)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size() || !file.commit())
        return failed(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return success();
}
} // namespace

Dnsmasq::Dnsmasq(Config config)
    : m_config(std::move(config))
{ }

QByteArray Dnsmasq::configuration() const
{
    const QString lines[] = {
        QStringLiteral("# Written by hamlet-helper for the network on %1; rewritten at each start.")
            .arg(m_config.bridge),
        QStringLiteral("interface=") + m_config.bridge,
        QStringLiteral("bind-interfaces"),
        QStringLiteral("except-interface=lo"),
        QStringLiteral("listen-address=") + m_config.gateway,
        QStringLiteral("no-hosts"),
        QStringLiteral("addn-hosts=") + path("hosts"),
        QStringLiteral("domain=") + m_config.domain,
        QStringLiteral("local=/%1/").arg(m_config.domain),
        QStringLiteral("expand-hosts"),
        // A name without a dot is an instance's or nobody's: never asked of the host's resolvers.
        QStringLiteral("domain-needed"),
        QStringLiteral("dhcp-range=%1,static,%2")
            .arg(Ipv4Net::addressToString(m_config.subnet.network()), Ipv4Net::addressToString(m_config.subnet.mask())),
        QStringLiteral("dhcp-hostsfile=") + path("dhcp-hosts"),
        QStringLiteral("dhcp-leasefile=") + leasesFile(),
        QStringLiteral("dhcp-authoritative"),
        QStringLiteral("pid-file=") + path("dnsmasq.pid"),
        // Root, as its files live in the helper's private state directory.
        QStringLiteral("user=root"),
    };
    QByteArray text;
    for (const QString &line : lines)
        text += line.toUtf8() + '\n';
    return text;
}

qint64 Dnsmasq::pid() const
{
    QFile file(path("dnsmasq.pid"));
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    const qint64 pid = file.readAll().trimmed().toLongLong();
    if (pid <= 0)
        return 0;
    // The pid is ours only while that process is a dnsmasq reading our configuration.
    QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
    if (!cmdline.open(QIODevice::ReadOnly) || !cmdline.readAll().contains(QFile::encodeName(path("dnsmasq.conf"))))
        return 0;
    return pid;
}

Status Dnsmasq::start()
{
    for (const char *file : {"hosts", "dhcp-hosts"}) {
        if (!QFile::exists(path(file))) {
            if (Status written = writeAtomically(path(file), {}); !written)
                return written;
        }
    }
    const QByteArray wanted = configuration();
    QFile current(path("dnsmasq.conf"));
    const bool same = current.open(QIODevice::ReadOnly) && current.readAll() == wanted;
    current.close();
    if (const qint64 running = pid()) {
        if (same) {
            ::kill(pid_t(running), SIGHUP);
            Log::get("network")->info("dnsmasq {} of {} found again", running, m_config.bridge);
            return success();
        }
        stop();
    }
    if (Status written = writeAtomically(path("dnsmasq.conf"), wanted); !written)
        return written;
    // dnsmasq forks into the background once it listens; its first process exits 0 then, or
    // with the reason it cannot serve.
    QProcess process;
    process.start(QStringLiteral("dnsmasq"), {QStringLiteral("--conf-file=") + path("dnsmasq.conf")});
    if (!process.waitForStarted(5000))
        return failed(
            QStringLiteral("cannot run dnsmasq (%1): install the 'dnsmasq-base' package").arg(process.errorString()));
    if (!process.waitForFinished(10000) || process.exitCode() != 0)
        return failed(QStringLiteral("dnsmasq for %1 did not start: %2")
                          .arg(m_config.bridge, QString::fromUtf8(process.readAllStandardError()).trimmed()));
    Log::get("network")->info("dnsmasq {} serves {} on {}", pid(), m_config.bridge, m_config.gateway);
    return success();
}

Status Dnsmasq::update(const Hosts &hosts, const Reservations &reservations)
{
    QByteArray hostLines;
    for (const auto &[name, address] : hosts)
        hostLines += QStringLiteral("%1 %2 %2.%3\n").arg(address, name, m_config.domain).toUtf8();
    QByteArray reservationLines;
    for (const auto &[mac, address] : reservations)
        reservationLines += QStringLiteral("%1,%2\n").arg(mac, address).toUtf8();
    // A file that says the same already is left alone (each write is an fsync on a create's path:
    // a container's start never changes the VMs' reservations), and an unchanged dnsmasq is not
    // reloaded.
    bool changed = false;
    for (const auto &[name, lines] : {std::pair {"hosts", &hostLines}, std::pair {"dhcp-hosts", &reservationLines}}) {
        QFile current(path(name));
        if (current.open(QIODevice::ReadOnly) && current.readAll() == *lines)
            continue;
        if (Status written = writeAtomically(path(name), *lines); !written)
            return written;
        changed = true;
    }
    const qint64 running = pid();
    if (!running)
        return start();
    if (changed)
        ::kill(pid_t(running), SIGHUP);
    return success();
}

void Dnsmasq::stop()
{
    const qint64 running = pid();
    if (!running)
        return;
    ::kill(pid_t(running), SIGTERM);
    for (int i = 0; i < 100 && QFile::exists(QStringLiteral("/proc/%1").arg(running)); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

} // namespace Hamlet::Network
