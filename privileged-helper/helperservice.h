#pragma once

#include "network.h"

#include "authorizer.h"
#include "callgate.h"
#include "hostprobe.h"
#include "instanceobjects.h"
#include "instanceregistry.h"
#include "jobobjects.h"
#include "manager.h"
#include "sampler.h"
#include "subscriptions.h"

#include <QDBusConnection>
#include <QObject>
#include <chrono>
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
        quint64 maxLayerBytes = 0; // 0: the image store's default cap
        // Exit after this long with nothing running, nobody subscribed and no call or job under
        // way (D-Bus activation brings the helper back); 0: never.
        std::chrono::milliseconds exitWhenIdle {0};
        QString networkBridge = QStringLiteral("hamlet0"); // the Hamlet network's bridge
        QString networkPool = QStringLiteral("10.90.0.0/16"); // where its /24 is chosen
        std::chrono::milliseconds runtimeTimeout {60000}; // a runtime call that takes longer is killed
        bool recordHistory = true; // false: no STATE/history.sqlite, GetHistory fails (benchmarks)
        QString subidDir = QStringLiteral("/etc"); // subuid and subgid, with the "hamlet" id range
    };

    explicit HelperService(Options options, QObject *parent = nullptr);
    ~HelperService() override;

    // Returns false, after logging why, when the helper cannot serve.
    QCoro::Task<bool> start();

private:
    bool prepareDirectories();
    void keepStatePrivate() const;
    void createBackends(const Capabilities &caps);
    QCoro::Task<> recoverInstances();
    bool exportObjects();
    void startIdleExit();

    Options m_options;
    QDBusConnection m_bus;
    std::unique_ptr<Authorizer> m_authorizer;
    Network::Network *m_network = nullptr;
    std::unique_ptr<CallGate> m_gate;
    InstanceRegistry m_registry;
    std::unique_ptr<Subscriptions> m_subscriptions;
    std::unique_ptr<History::Recorder> m_history; // before the sampler: outlives it
    std::unique_ptr<Sampler> m_sampler;
    JobObjects *m_jobs = nullptr;
    InstanceObjects *m_instances = nullptr;
    Manager *m_manager = nullptr;
};

} // namespace Hamlet
