#pragma once

#include "authorizer.h"
#include "hostprobe.h"
#include "manager.h"

#include <QDBusConnection>
#include <QObject>
#include <memory>

namespace Hamlet {

// Everything hamlet-helper is, minus argument parsing: connects to the bus, probes the host,
// exports the objects and takes the well-known name (last, so activation waits for readiness).
class HelperService : public QObject
{
    Q_OBJECT
public:
    struct Options {
        QString bus = QStringLiteral("system"); // "system" or a D-Bus address
        QString stateDir = QStringLiteral("/var/lib/hamlet");
        QString runDir = QStringLiteral("/run/hamlet");
        QString runtime; // override of the OCI runtime
        QString libvirtUri; // override of the libvirt connection
        QString probeCache = {}; // default: RUNDIR/kvm-probe
    };

    explicit HelperService(Options options, QObject *parent = nullptr);
    ~HelperService() override;

    // Returns false, after logging why, when the helper cannot serve.
    bool start();

private:
    bool prepareDirectories();

    Options m_options;
    QDBusConnection m_bus;
    std::unique_ptr<Authorizer> m_authorizer;
    Manager *m_manager = nullptr;
};

} // namespace Hamlet
