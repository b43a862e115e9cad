#pragma once

#include "errors.h"

#include <QString>
#include <libvirt/libvirt.h>
#include <memory>

// Small pieces every libvirt caller in the helper needs: handles that free themselves, and
// libvirt's thread-local last error turned into an ErrorReply for a person.
namespace Hamlet::Vms {

struct DomainDeleter {
    void operator()(virDomainPtr domain) const
    {
        if (domain)
            virDomainFree(domain);
    }
};
using DomainHandle = std::unique_ptr<virDomain, DomainDeleter>;

struct StreamDeleter {
    void operator()(virStreamPtr stream) const
    {
        if (stream)
            virStreamFree(stream);
    }
};
using StreamHandle = std::unique_ptr<virStream, StreamDeleter>;

// "<doing>: <libvirt's message>", with the error name that fits libvirt's error code (no such
// domain -> NotFound, exists -> Exists, unsupported -> Unsupported, else Failed). Call on the
// thread that made the failing libvirt call: libvirt keeps the last error per thread.
ErrorReply lastLibvirtError(const QString &doing);

// After a failed virDomainLookupByName: NotFound naming the VM, or libvirt's error.
ErrorReply domainLookupError(const QString &name);

// Routes libvirt's errors into the "vms" log instead of stderr, once per process.
void installLibvirtErrorHandler();

} // namespace Hamlet::Vms
