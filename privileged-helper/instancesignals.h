#pragma once

#include "instanceregistry.h"
#include "subscriptions.h"

#include <QDBusConnection>
#include <QObject>

namespace Hamlet {

// The instance signals (Manager1.InstanceAdded/InstanceRemoved, Instance1's PropertiesChanged),
// sent targeted to each subscriber and never broadcast: only callers polkit let subscribe
// (dev.hamlet.monitor) learn of instances, and a Spec goes out with its env only to those who
// may see it (the owner, root, manage-others).
class InstanceSignals : public QObject
{
    Q_OBJECT
public:
    InstanceSignals(QDBusConnection bus, InstanceRegistry &registry, Subscriptions &subscriptions,
                    QObject *parent = nullptr);

private:
    void announceAdded(const QString &name, const QString &kind);
    void announceRemoved(const QString &name);
    void announceChanged(const QString &name, const QStringList &properties);

    QDBusConnection m_bus;
    InstanceRegistry &m_registry;
    Subscriptions &m_subscriptions;
};

} // namespace Hamlet
