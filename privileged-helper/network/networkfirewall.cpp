#include "networkfirewall.h"

#include "logging.h"

#include <QFile>
#include <QProcess>

namespace Hamlet::Network {

using Containers::failed;
using Containers::Status;
using Containers::success;

namespace {

// -w: waits for the xtables lock the CNI plugins of other instances may hold.
int iptables(const QStringList &arguments, QString *error)
{
    QProcess process;
    process.start(QStringLiteral("iptables"), QStringList {QStringLiteral("-w")} + arguments);
    if (!process.waitForStarted(5000)) {
        *error = QStringLiteral("cannot run iptables (%1): install the 'iptables' package").arg(process.errorString());
        return -1;
    }
    if (!process.waitForFinished(20000)) {
        process.kill();
        process.waitForFinished(1000);
        *error = QStringLiteral("iptables %1 did not finish within 20 s").arg(arguments.join(QLatin1Char(' ')));
        return -1;
    }
    *error = QString::fromUtf8(process.readAllStandardError()).trimmed();
    return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

} // namespace

NetworkFirewall::NetworkFirewall(QString cniName, QString bridge, Ipv4Net subnet)
    : m_cniName(std::move(cniName))
    , m_bridge(std::move(bridge))
    , m_subnet(subnet)
{ }

QList<NetworkFirewall::Rule> NetworkFirewall::rules() const
{
    const QString subnet = m_subnet.toString();
    const QStringList comment {QStringLiteral("-m"), QStringLiteral("comment"), QStringLiteral("--comment"), tag()};
    return {
        // Leaving the subnet (not to it: instances see each other's own addresses).
        {QStringLiteral("nat"), QStringLiteral("POSTROUTING"), false,
         QStringList {QStringLiteral("-s"), subnet, QStringLiteral("!"), QStringLiteral("-d"), subnet} + comment
             + QStringList {QStringLiteral("-j"), QStringLiteral("MASQUERADE")}},
        {QStringLiteral("filter"), QStringLiteral("FORWARD"), true,
         QStringList {QStringLiteral("-i"), m_bridge, QStringLiteral("-s"), subnet} + comment
             + QStringList {QStringLiteral("-j"), QStringLiteral("ACCEPT")}},
        // Replies, and new connections to a published port (DNATed by portmap).
        {QStringLiteral("filter"), QStringLiteral("FORWARD"), true,
         QStringList {QStringLiteral("-o"), m_bridge, QStringLiteral("-d"), subnet, QStringLiteral("-m"),
                      QStringLiteral("conntrack"), QStringLiteral("--ctstate"),
                      QStringLiteral("RELATED,ESTABLISHED,DNAT")}
             + comment + QStringList {QStringLiteral("-j"), QStringLiteral("ACCEPT")}},
    };
}

Status NetworkFirewall::ensure() const
{
    QFile forward(QStringLiteral("/proc/sys/net/ipv4/ip_forward"));
    if (!forward.open(QIODevice::WriteOnly) || forward.write("1\n") != 2)
        return failed(QStringLiteral("cannot turn on IPv4 forwarding (%1)").arg(forward.errorString()));
    forward.close();
    for (const Rule &rule : rules()) {
        QString error;
        const QStringList where {QStringLiteral("-t"), rule.table};
        // 0: there; 1: missing; anything else (a bad rule, no iptables): a reason to stop.
        const int checked = iptables(where + QStringList {QStringLiteral("-C"), rule.chain} + rule.match, &error);
        if (checked == 0)
            continue;
        if (checked != 1)
            return failed(QStringLiteral("cannot read the %1 rules of %2: %3").arg(rule.table, m_cniName, error));
        const QStringList add = rule.first ? QStringList {QStringLiteral("-I"), rule.chain, QStringLiteral("1")}
                                           : QStringList {QStringLiteral("-A"), rule.chain};
        if (iptables(where + add + rule.match, &error) != 0)
            return failed(QStringLiteral("cannot add the %1 rule of %2: %3").arg(rule.table, m_cniName, error));
        Log::get("network")->info("{}: added {} {} {}", m_cniName, rule.table, rule.chain,
                                  rule.match.join(QLatin1Char(' ')));
    }
    return success();
}

} // namespace Hamlet::Network
