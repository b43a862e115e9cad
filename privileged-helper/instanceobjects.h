#pragma once

#include "instanceregistry.h"
#include "objecttree.h"

namespace Hamlet {

class FirstOutputWatch;

// dev.hamlet.Instance1 objects, one per registered instance, under /dev/hamlet/Helper1/instance.
// Each verb is authorized (control, delete or monitor, with the instance name as polkit detail)
// and then handed to the instance's backend. Every verb but Inspect acts on the instance, so a
// caller that is not its owner (nor root) also needs dev.hamlet.manage-others; reading the
// properties needs only monitor, but the Spec's env is left out for such a caller.
class InstanceObjects : public ObjectTree
{
    Q_OBJECT
public:
    InstanceObjects(QDBusConnection bus, CallGate &gate, InstanceRegistry &registry, QObject *parent = nullptr);
    // Inspect's "measured" part (CompareFacts) needs the start timings and the state dir.
    void setMeasurements(FirstOutputWatch *watch, const QString &stateDir)
    {
        m_firstOutput = watch;
        m_stateDir = stateDir;
    }

protected:
    QStringList children() const override;
    bool exists(const QString &path) const override;
    QVariantMap properties(const QString &path) const override;
    QString readAction(const QString &path) const override;
    void call(const QDBusMessage &message) override;
    QCoro::Task<QVariantMap> propertiesFor(QString path, QDBusMessage call) override;

private:
    using Verb = std::function<QCoro::Task<QDBusMessage>(InstanceBackend *backend, QString name, QDBusMessage call)>;
    void serveVerb(const QDBusMessage &message, const QString &action, Verb verb);
    QVariantMap withAddresses(QVariantMap properties, const InstanceInfo &info) const;

    // Exec: starts the process and sends its ExecExited to the caller when it ends.
    QCoro::Task<QDBusMessage> execute(InstanceBackend *backend, QString name, QDBusMessage call);
    static QCoro::Task<QDBusMessage> reply(QDBusMessage call, QCoro::Task<Outcome> work);

    InstanceRegistry &m_registry;
    FirstOutputWatch *m_firstOutput = nullptr;
    QString m_stateDir;
};

} // namespace Hamlet
