#include "helperservice.h"

#include "dbusnames.h"
#include "logging.h"
#include "manager1adaptor.h"

#include <QDBusConnectionInterface>
#include <QDir>

#include <sys/stat.h>

namespace Hamlet {

namespace {
QDBusConnection connectBus(const QString &bus)
{
    if (bus == QStringLiteral("system"))
        return QDBusConnection::systemBus();
    return QDBusConnection::connectToBus(bus, QStringLiteral("hamlet-helper"));
}
} // namespace

HelperService::HelperService(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_bus(connectBus(m_options.bus))
{
    registerDBusTypes();
}

HelperService::~HelperService() = default;

bool HelperService::prepareDirectories()
{
    for (const QString &dir : {m_options.stateDir, m_options.runDir}) {
        if (!QDir().mkpath(dir)) {
            Log::helper()->critical("cannot create {}: check that the helper runs as root", dir);
            return false;
        }
        ::chmod(QFile::encodeName(dir).constData(), 0700);
    }
    return true;
}

bool HelperService::start()
{
    if (!m_bus.isConnected()) {
        Log::helper()->critical("cannot connect to the {} bus: {}", m_options.bus, m_bus.lastError().message());
        return false;
    }
    if (!prepareDirectories())
        return false;

    const QString probeCache
        = m_options.probeCache.isEmpty() ? m_options.runDir + QStringLiteral("/kvm-probe") : m_options.probeCache;
    const Capabilities caps
        = HostProbe::probe({m_options.stateDir, m_options.runtime, m_options.libvirtUri, probeCache});
    Log::helper()->info("host: {}", caps.summary());
    for (const QString &diagnosis : caps.diagnoses())
        Log::helper()->warn("{}", diagnosis);

    m_authorizer = std::make_unique<Authorizer>(m_bus);
    m_manager = new Manager(m_bus, *m_authorizer, caps, this);
    new Manager1Adaptor(m_manager);
    if (!m_bus.registerObject(Bus::ManagerPath, m_manager)) {
        Log::helper()->critical("cannot export {}: {}", Bus::ManagerPath, m_bus.lastError().message());
        return false;
    }
    const auto reply = m_bus.interface()->registerService(Bus::ServiceName, QDBusConnectionInterface::DontQueueService,
                                                          QDBusConnectionInterface::DontAllowReplacement);
    if (!reply.isValid() || reply.value() != QDBusConnectionInterface::ServiceRegistered) {
        Log::helper()->critical("cannot own {} on the bus ({}): is another helper running, and is the bus "
                                "policy dev.hamlet.Helper1.conf installed?",
                                Bus::ServiceName, reply.error().message());
        return false;
    }
    Log::helper()->info("serving {} on the {} bus", Bus::ServiceName, m_options.bus);
    return true;
}

} // namespace Hamlet
