#pragma once

#include "callgate.h"
#include "capabilities.h"
#include "dbustypes.h"
#include "subscriptions.h"

#include <QDBusContext>
#include <QObject>

namespace Hamlet {

// dev.hamlet.Manager1 at /dev/hamlet/Helper1: the helper's entry point. Each slot is called by
// the generated adaptor and answers through the CallGate, so nothing happens before polkit agrees.
class Manager : public QObject, protected QDBusContext
{
    Q_OBJECT
public:
    Manager(QDBusConnection bus, Authorizer &authorizer, Capabilities capabilities, QObject *parent = nullptr);

    const Capabilities &capabilities() const { return m_capabilities; }
    Subscriptions &subscriptions() { return m_subscriptions; }

public Q_SLOTS:
    QVariantMap GetCapabilities();
    Hamlet::InstanceSummaryList ListInstances();
    void Subscribe(uint intervalMs);
    void Unsubscribe();

Q_SIGNALS:
    void InstanceAdded(const QString &name, const QString &kind, const QDBusObjectPath &path);
    void InstanceRemoved(const QString &name, const QDBusObjectPath &path);
    // Never emitted through the adaptor: batches go to each subscriber with a targeted signal.
    void Samples(qulonglong monotonicNs, const Hamlet::SampleBatch &samples);

private:
    QDBusConnection m_bus;
    CallGate m_gate;
    Capabilities m_capabilities;
    Subscriptions m_subscriptions;
};

} // namespace Hamlet
