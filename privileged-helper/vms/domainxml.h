#pragma once

#include "vmspec.h"

#include <QString>

namespace Hamlet::Vms {

// The XML namespace of Hamlet's <metadata> in a domain: what Hamlet needs to remember about a VM
// (its source, which disk file it created) travels with the definition, so a libvirt daemon
// restart or a helper restart loses nothing.
inline const QString HamletMetadataNamespace = QStringLiteral("https://hamlet.dev/xmlns/vm/1");

// The fd groups (virDomainFDAssociate) of the disk and the CD: QEMU gets these files as fds.
inline const QString DiskFdGroup = QStringLiteral("hamlet-disk");
inline const QString CdromFdGroup = QStringLiteral("hamlet-cdrom");

// The libvirt domain XML for a spec. Pure: the same spec gives the same bytes (golden-file
// tested), and nothing on the host is looked at. Every VM gets a serial console on a pty (what
// OpenConsole attaches to), a virtio balloon reporting stats every second, and is destroyed (not
// rebooted) when the guest powers off. ISO and disk VMs also get VNC graphics with no listening
// socket: the only way in is virDomainOpenGraphicsFD, so no TCP port is ever opened.
QString domainXml(const VmSpec &spec);

} // namespace Hamlet::Vms
