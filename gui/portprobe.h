#pragma once

#include <QString>

namespace Hamlet {

// A quick local bind of a host port, as the person typing it in the wizard: a hint that another
// program holds it (or that the address is not this computer's), never a verdict. The helper
// checks again when it is asked and its answer is the one that counts: this process may lack the
// rights to bind a low port, and a port another instance publishes is not bound by anyone.
namespace PortProbe {
enum class Verdict { Free, InUse, NotThisComputer, NeedsPrivilege, Unknown };
// hostAddress: an IPv4 address, or empty for every address.
Verdict probe(uint port, const QString &protocol, const QString &hostAddress);
} // namespace PortProbe

} // namespace Hamlet
