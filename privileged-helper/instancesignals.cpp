#include "instancesignals.h"

#include "dbusnames.h"

#include <QDBusMessage>
#include <QDBusObjectPath>

namespace Hamlet {

InstanceSignals::InstanceSignals(QDBusConnection bus, InstanceRegistry &registry, Subscriptions &subscriptions,
                                 QObject *parent)
    : QObject(parent)
    , m_bus(std::move(bus))
    , m_registry(registry)
    , m_subscriptions(subscriptions)
{
    connect(&m_registry, &InstanceRegistry::added, this, &InstanceSignals::announceAdded);
    connect(&m_registry, &InstanceRegistry::removed, this, &InstanceSignals::announceRemoved);
    connect(&m_registry, &InstanceRegistry::changed, this, &InstanceSignals::announceChanged);
}

void InstanceSignals::announceAdded(const QString &name, const QString &kind)
{
    const QVariant path = QVariant::fromValue(QDBusObjectPath(Bus::instancePath(name)));
    for (const Viewer &viewer : m_subscriptions.viewers()) {
        QDBusMessage signal = QDBusMessage::createTargetedSignal(
            viewer.busName, Bus::ManagerPath, Bus::ManagerInterface, QStringLiteral("InstanceAdded"));
        signal << name << kind << path;
        m_bus.send(signal);
    }
}

void InstanceSignals::announceRemoved(const QString &name)
{
    const QVariant path = QVariant::fromValue(QDBusObjectPath(Bus::instancePath(name)));
    for (const Viewer &viewer : m_subscriptions.viewers()) {
        QDBusMessage signal = QDBusMessage::createTargetedSignal(
            viewer.busName, Bus::ManagerPath, Bus::ManagerInterface, QStringLiteral("InstanceRemoved"));
        signal << name << path;
        m_bus.send(signal);
    }
}

void InstanceSignals::announceChanged(const QString &name, const QStringList &properties)
{
    const InstanceInfo *info = m_registry.find(name);
    if (!info)
        return;
    for (const Viewer &viewer : m_subscriptions.viewers()) {
        const QVariantMap all = instanceProperties(*info, viewer);
        QVariantMap changed;
        for (const QString &property : properties)
            changed.insert(property, all.value(property));
        QDBusMessage signal = QDBusMessage::createTargetedSignal(viewer.busName, Bus::instancePath(name),
                                                                 QStringLiteral("org.freedesktop.DBus.Properties"),
                                                                 QStringLiteral("PropertiesChanged"));
        signal << Bus::InstanceInterface << changed << QStringList();
        m_bus.send(signal);
    }
}

} // namespace Hamlet
