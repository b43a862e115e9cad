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
        // QEMU is paused while libvirt tears down a guest that already powered off.
        return reason == VIR_DOMAIN_PAUSED_SHUTTING_DOWN ? Stopped : Paused;
    case VIR_DOMAIN_PMSUSPENDED:
        return Paused;
    case VIR_DOMAIN_SHUTDOWN: // the guest has powered off; libvirt is tearing QEMU down
        return Stopped;
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
    case VIR_DOMAIN_EVENT_SHUTDOWN:
        // Sent when QEMU reports the guest has powered off (every detail means it finished).
        // libvirt then needs about a second more to tear QEMU down before STOPPED; the person
        // sees the VM off as soon as the guest is, and STOPPED repeats it.
        return Stopped;
    default:
        return std::nullopt;
    }
}

} // namespace Hamlet::Vms::VmState
