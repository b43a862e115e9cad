#pragma once

#include "authorizer.h"
#include "containerbackend.h"
#include "instancebackend.h"

namespace Hamlet {

// Containers on the bus: the InstanceBackend the D-Bus objects call, over ContainerBackend.
class ContainerInstances : public InstanceBackend
{
    Q_OBJECT
public:
    ContainerInstances(Containers::ContainerBackend::Options options, QObject *parent = nullptr);

    QString kind() const override { return QStringLiteral("container"); }
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
    QCoro::Task<Expected<ExecStarted>> exec(QString name, QStringList argv, QVariantMap options) override;
    QCoro::Task<SampleBatch> sample() override;
    // The counters of running containers, read at once (a few small cgroup files each).
    SampleBatch sampleNow();

    Containers::ContainerBackend &backend() { return m_backend; }
    // For the checks of a spec that need more than the plain create action (network "host",
    // privileged host ports): asked with details, so administrators can write rules for them.
    void setAuthorizer(Authorizer *authorizer) { m_authorizer = authorizer; }

private:
    // startBegins for FirstOutputWatch: the log, or why there is none (a terminal).
    void announceStart(const QString &name, bool tty, bool creating);
    // The published ports of a spec: none published by another container, none taken on the host.
    Outcome portsProblem(const QString &name, const QList<Network::PortMapping> &ports) const;

    Containers::ContainerBackend m_backend;
    Authorizer *m_authorizer = nullptr;
};

} // namespace Hamlet
