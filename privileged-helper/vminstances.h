#pragma once

#include "authorizer.h"
#include "containerbackend.h"
#include "instancebackend.h"
#include "libvirtconnection.h"
#include "network.h"
#include "vmbackend.h"

#include <QHash>

namespace Hamlet {

// Virtual machines on the bus: the InstanceBackend the D-Bus objects call, over VmBackend. Keeps
// what the bus shows of each VM (libvirt is the record; this is its mirror, updated by events).
class VmInstances : public InstanceBackend
{
    Q_OBJECT
public:
    VmInstances(const QString &libvirtUri, Vms::VmBackend::Options options, QObject *parent = nullptr);

    // The Hamlet network, for VMs with network "nat" (none: such VMs are refused).
    void setNetwork(Network::Network *network) { m_network = network; }
    // For published host ports below 1024 (the detail privilegedPorts), as for containers.
    void setAuthorizer(Authorizer *authorizer) { m_authorizer = authorizer; }
    // The image store, for VMs of an image (source=image); none: such VMs are refused.
    void setImages(Containers::ContainerBackend *images) { m_images = images; }
    // The VMs made from the image with this manifest digest (RemoveImage refuses while any exist).
    QStringList vmsUsing(const QString &manifestDigest) const;
    // Removes the cached ext4 disk of an image that left the store.
    void dropImageDisk(const QString &manifestDigest);

    QString kind() const override { return QStringLiteral("vm"); }
    std::optional<InstanceInfo> find(const QString &name) const override;
    QCoro::Task<QList<InstanceInfo>> recover() override;
    QCoro::Task<Outcome> validate(QString name, QVariantMap spec, Caller caller) override;
    QCoro::Task<Expected<InstanceInfo>> create(QString name, QVariantMap spec, Caller caller, Job *job) override;
    QCoro::Task<Outcome> start(QString name) override;
    QCoro::Task<Outcome> stop(QString name, bool force) override;
    QCoro::Task<Outcome> pause(QString name) override;
    QCoro::Task<Outcome> resume(QString name) override;
    QCoro::Task<Outcome> remove(QString name) override;
    QCoro::Task<Expected<QString>> setLimits(QString name, QVariantMap limits) override;
    QCoro::Task<Outcome> setPorts(QString name, QVariant ports, Caller caller) override;
    QCoro::Task<Expected<QVariantMap>> inspect(QString name) override;
    QCoro::Task<Expected<QDBusUnixFileDescriptor>> openConsole(QString name) override;
    QCoro::Task<Expected<QDBusUnixFileDescriptor>> openDisplay(QString name) override;
    QCoro::Task<SampleBatch> sample() override;

private:
    // The CreateVm map with file descriptors turned into paths and every path checked readable
    // by the caller, then parsed and checked against the host.
    QCoro::Task<Expected<Vms::VmSpec>> specFor(QString name, QVariantMap map, Caller caller);
    QCoro::Task<InstanceInfo> describe(QString name, QString state);
    // QEMU, a child of the helper under the embedded driver, inherits its OOM score adjustment.
    void relaxOomScore(qint64 qemuPid);
    QCoro::Task<> relaxOomScoreOf(QString name);
    QCoro::Task<> warmUp();
    void setState(const QString &name, const QString &reported);

    // vminstancesports.cpp: published ports, kept by the network with the VM's reservation.
    // "ports" out of a CreateVm map (VmSpec knows nothing of them), parsed.
    static Expected<QList<Network::PortMapping>> takePorts(QVariantMap &map);
    // Taken by another instance or program, or privileged without polkit's yes: the reply's error.
    QCoro::Task<Outcome> portsProblem(QString name, QList<Network::PortMapping> ports, Caller caller, QString action,
                                      QString verb);
    QList<Network::PortMapping> portsOf(const QString &name) const;

    // vminstancesimage.cpp: VMs of an image.
    struct ImageVmOutcome {
        QString failure;
        int exitCode = -1;
    };
    Expected<QString> resolveImage(const QString &reference) const;
    // Unpacks the image and fills in what the VM runs (entrypoint + cmd, env, working directory).
    QCoro::Task<Outcome> resolveImageRun(Vms::VmSpec &vm);
    ImageVmOutcome imageOutcome(const InstanceInfo &info) const;
    // startBegins for FirstOutputWatch: an image VM's console log (emptied: the last run's
    // outcome was read when it stopped), or why a VM of another source has none.
    void announceStart(const QString &name, const QString &source, bool creating);

    Vms::LibvirtConnection m_connection;
    Vms::VmBackend m_backend;
    QHash<QString, InstanceInfo> m_known;
    Network::Network *m_network = nullptr;
    Containers::ContainerBackend *m_images = nullptr;
    Authorizer *m_authorizer = nullptr;
};

} // namespace Hamlet
