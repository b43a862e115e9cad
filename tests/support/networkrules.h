#pragma once

#include <QString>
#include <QStringList>

namespace Hamlet::Test {

// The firewall rules one Hamlet network made (through the CNI plugins: masquerade, port DNAT,
// forward accepts), as `iptables-save` prints them: every rule that names the CNI network in its
// comment or the network's subnet, "table chain rule" per line, sorted. A test compares these
// before and after; the network's own "nothing left" is an empty list.
// The network's own rules (its masquerade and forward accepts, comment "hamlet network NAME")
// are left out: they are not any instance's.
QStringList hamletRules(const QString &cniName, const QString &subnet);
// Those own rules alone, same form: present once each while the network exists.
QStringList networkOwnRules(const QString &cniName, const QString &subnet);
// Deletes the rules of both kinds and the per-instance chains they jump to (a test that failed
// half-way, or the end of a test system).
void removeHamletRules(const QString &cniName, const QString &subnet);

} // namespace Hamlet::Test
