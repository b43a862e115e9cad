#pragma once

#include "authorizer.h"
#include "containerbackend.h"
#include "expected.h"
#include "instancebackend.h"
#include "network.h"

namespace Hamlet {

// The checks of published ports beyond their syntax (Network::parsePorts), the same for both
// kinds and for CreateContainer, CreateVm and SetPorts alike, so that each is refused in the reply
// and nothing is made.

// Busy when a host port (and protocol) is published by another instance of either kind (the
// containers' specs, the network's attachments: every VM's, running containers') or held on the
// host by another program.
Outcome portsTaken(const QString &name, const QList<Network::PortMapping> &ports, const Network::Network *network,
                   const Containers::ContainerBackend *containers);

// NotAuthorized unless polkit says yes to action with the detail privilegedPorts="80/tcp,..."
// when a host port is below 1024 (binding one needs root on the host). Nothing to ask otherwise.
QCoro::Task<Outcome> privilegedPortsAllowed(Authorizer *authorizer, Caller caller, QString action, QString verb,
                                            QString name, QList<Network::PortMapping> ports);

} // namespace Hamlet
