#include "networkrules.h"

#include <QProcess>
#include <QRegularExpression>
#include <QSet>

namespace Hamlet::Test {

namespace {

struct Rule {
    QString table;
    QString chain;
    QString line; // "-A CHAIN ..."
};

// Which rules: those of instances (the CNI plugins'), the network's own, or both.
enum class Owner { Instances, Network, Both };

QList<Rule> matchingRules(const QString &cniName, const QString &subnet, Owner owner)
{
    QProcess save;
    save.start(QStringLiteral("iptables-save"), {});
    save.waitForFinished(20000);
    const QString tag = QStringLiteral("name: \\\"%1\\\"").arg(cniName);
    // "10.199.3.0/24" -> "10.199.3.": every address of the /24.
    const QString prefix = subnet.isEmpty() ? QString() : subnet.section(QLatin1Char('.'), 0, 2) + QLatin1Char('.');
    QList<Rule> rules;
    QString table;
    for (const QString &line : QString::fromUtf8(save.readAllStandardOutput()).split(QLatin1Char('\n'))) {
        if (line.startsWith(QLatin1Char('*')))
            table = line.mid(1);
        if (!line.startsWith(QStringLiteral("-A ")))
            continue;
        const bool mine = line.contains(tag) || (!prefix.isEmpty() && line.contains(QLatin1Char(' ') + prefix));
        const bool networks = line.contains(QStringLiteral("\"hamlet network %1\"").arg(cniName));
        if (mine && (owner == Owner::Both || (owner == Owner::Network) == networks))
            rules << Rule {table, line.section(QLatin1Char(' '), 1, 1), line};
    }
    return rules;
}

} // namespace

QStringList hamletRules(const QString &cniName, const QString &subnet)
{
    QStringList lines;
    for (const Rule &rule : matchingRules(cniName, subnet, Owner::Instances))
        lines << rule.table + QLatin1Char(' ') + rule.line;
    lines.sort();
    return lines;
}

QStringList networkOwnRules(const QString &cniName, const QString &subnet)
{
    QStringList lines;
    for (const Rule &rule : matchingRules(cniName, subnet, Owner::Network))
        lines << rule.table + QLatin1Char(' ') + rule.line;
    lines.sort();
    return lines;
}

void removeHamletRules(const QString &cniName, const QString &subnet)
{
    const QList<Rule> rules = matchingRules(cniName, subnet, Owner::Both);
    QSet<QPair<QString, QString>> chains;
    static const QSet<QString> shared {QStringLiteral("CNI-HOSTPORT-DNAT"), QStringLiteral("CNI-HOSTPORT-SETMARK"),
                                       QStringLiteral("CNI-HOSTPORT-MASQ"), QStringLiteral("CNI-FORWARD"),
                                       QStringLiteral("CNI-ADMIN")};
    const QRegularExpression jump(QStringLiteral(" -j (CNI-[A-Za-z0-9-]+)"));
    for (const Rule &rule : rules) {
        // iptables-save quotes as a shell does: the line goes back through sh unchanged.
        QString deletion = rule.line;
        deletion.replace(0, 2, QStringLiteral("-D"));
        QProcess::execute(QStringLiteral("sh"),
                          {QStringLiteral("-c"), QStringLiteral("iptables -w -t %1 %2").arg(rule.table, deletion)});
        const QRegularExpressionMatch match = jump.match(rule.line);
        if (match.hasMatch() && !shared.contains(match.captured(1)))
            chains.insert({rule.table, match.captured(1)});
    }
    for (const auto &[table, chain] : chains) {
        QProcess::execute(QStringLiteral("iptables"),
                          {QStringLiteral("-w"), QStringLiteral("-t"), table, QStringLiteral("-F"), chain});
        QProcess::execute(QStringLiteral("iptables"),
                          {QStringLiteral("-w"), QStringLiteral("-t"), table, QStringLiteral("-X"), chain});
    }
}

} // namespace Hamlet::Test
