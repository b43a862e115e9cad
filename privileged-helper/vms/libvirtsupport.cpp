#include "libvirtsupport.h"

#include "logging.h"

#include <libvirt/virterror.h>
#include <mutex>

namespace Hamlet::Vms {

namespace {

void logLibvirtError(void *, virErrorPtr error)
{
    // Every failure also reaches the caller as an ErrorReply; this is the detail for the log.
    if (error)
        Log::vms()->debug("libvirt: {} (code {}, domain {})", error->message ? error->message : "", error->code,
                          error->domain);
}

} // namespace

ErrorReply lastLibvirtError(const QString &doing)
{
    const virErrorPtr error = virGetLastError();
    const QString message
        = error && error->message ? QString::fromUtf8(error->message) : QStringLiteral("unknown libvirt error");
    QString name = Error::Failed;
    if (error) {
        switch (error->code) {
        case VIR_ERR_NO_DOMAIN:
            name = Error::NotFound;
            break;
        case VIR_ERR_DOM_EXIST:
            name = Error::Exists;
            break;
        case VIR_ERR_NO_SUPPORT:
        case VIR_ERR_OPERATION_UNSUPPORTED:
        case VIR_ERR_CONFIG_UNSUPPORTED:
        case VIR_ERR_ARGUMENT_UNSUPPORTED:
            name = Error::Unsupported;
            break;
        case VIR_ERR_OPERATION_TIMEOUT:
        case VIR_ERR_AGENT_UNRESPONSIVE:
            name = Error::Busy;
            break;
        default:
            break;
        }
    }
    Log::vms()->warn("{}: {}", doing, message);
    return ErrorReply {name, QStringLiteral("%1: %2").arg(doing, message)};
}

ErrorReply domainLookupError(const QString &name)
{
    const virErrorPtr error = virGetLastError();
    if (!error || error->code == VIR_ERR_NO_DOMAIN)
        return ErrorReply {Error::NotFound, QStringLiteral("There is no VM named \"%1\".").arg(name)};
    return lastLibvirtError(QStringLiteral("Cannot find the VM \"%1\"").arg(name));
}

void installLibvirtErrorHandler()
{
    static std::once_flag once;
    std::call_once(once, [] { virSetErrorFunc(nullptr, logLibvirtError); });
}

} // namespace Hamlet::Vms
