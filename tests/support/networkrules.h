#pragma once

#include <QString>
#include <QStringList>

namespace Hamlet::Test {

// The firewall rules one Hamlet network made (through the CNI plugins: masquerade, port DNAT,
// forward accepts), as `iptables-save` prints them: every rule that names the CNI network in its
// comment or the network's subnet, "table chain rule" per line, sorted. A test compares these
// before and after; the network's own "nothing left" is an empty list.
QStringList hamletRules(const QString &cniName, const QString &subnet);
// Deletes those rules and the per-instance chains they jump to (a test that failed half-way).
void removeHamletRules(const QString &cniName, const QString &subnet);

} // namespace Hamlet::Test
