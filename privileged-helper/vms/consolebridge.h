#pragma once

#include "libvirtsupport.h"
#include "result.h"
#include "uniquefd.h"

namespace Hamlet::Vms {

// Connects a VM's serial console to a socket: the returned fd is one end of a socketpair, the
// other end is pumped to and from libvirt's console stream on libvirt's event loop thread. Bytes
// flow both ways unchanged. The bridge ends itself when either side closes: the GUI closing its
// fd, the VM stopping, or another OpenConsole taking the console over (the newest client wins,
// so a GUI that reopens its console tab never finds it "busy").
namespace ConsoleBridge {

// Blocking (virDomainOpenConsole): call it on a worker thread.
Result<UniqueFd> open(virConnectPtr connection, virDomainPtr domain);

} // namespace ConsoleBridge

} // namespace Hamlet::Vms
