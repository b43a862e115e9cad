#include "vmstate.h"

#include <libvirt/libvirt.h>

namespace Hamlet::Vms::VmState {

QString fromDomainState(int state, int reason)
{
    switch (state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED: // running, waiting on I/O: still "running" to a person
        return Running;
    case VIR_DOMAIN_PAUSED:
    case VIR_DOMAIN_PMSUSPENDED:
        return Paused;
    case VIR_DOMAIN_SHUTDOWN: // shutting down, not yet off
        return Running;
    case VIR_DOMAIN_CRASHED:
        return Failed;
    case VIR_DOMAIN_SHUTOFF:
        return reason == VIR_DOMAIN_SHUTOFF_FAILED || reason == VIR_DOMAIN_SHUTOFF_CRASHED ? Failed : Stopped;
    default:
        return Stopped;
    }
}

std::optional<QString> fromLifecycleEvent(int event, int detail)
{
    switch (event) {
    case VIR_DOMAIN_EVENT_STARTED:
    case VIR_DOMAIN_EVENT_RESUMED:
        return Running;
    case VIR_DOMAIN_EVENT_SUSPENDED:
    case VIR_DOMAIN_EVENT_PMSUSPENDED:
        return Paused;
    case VIR_DOMAIN_EVENT_STOPPED:
        return detail == VIR_DOMAIN_EVENT_STOPPED_FAILED || detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED ? Failed
                                                                                                       : Stopped;
    case VIR_DOMAIN_EVENT_CRASHED:
        return Failed;
    default:
        return std::nullopt;
    }
}

} // namespace Hamlet::Vms::VmState
