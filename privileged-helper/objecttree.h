#pragma once

#include "callgate.h"

#include <QDBusVirtualObject>
#include <QString>
#include <QStringList>
#include <QVariantMap>

namespace Hamlet {

// Base of the helper's object subtrees served by hand (instances, jobs): every message, including
// Introspect and property reads, goes through the CallGate, so nothing is visible or done for a
// caller polkit refuses. Subclasses route their interface's methods.
class ObjectTree : public QDBusVirtualObject
{
    Q_OBJECT
public:
    ObjectTree(QDBusConnection bus, CallGate &gate, QString rootPath, QString interfaceName, QObject *parent = nullptr);

    QString introspect(const QString &path) const override; // unused: Introspect is gated below
    bool handleMessage(const QDBusMessage &message, const QDBusConnection &connection) override;

    QString rootPath() const { return m_rootPath; }

protected:
    // The objects below the root, by their last path element.
    virtual QStringList children() const = 0;
    virtual bool exists(const QString &path) const = 0;
    virtual QVariantMap properties(const QString &path) const = 0;
    // The polkit action that guards reading an object.
    virtual QString readAction(const QString &path) const = 0;
    // Handles a call on the subtree's interface of an existing object.
    virtual void call(const QDBusMessage &message) = 0;
    // The properties as an authorized Get/GetAll caller may see them (the default: all of them).
    virtual QCoro::Task<QVariantMap> propertiesFor(QString path, QDBusMessage call);

    // A PropertiesChanged for the named properties, sent to one destination only: signals of the
    // helper are never broadcast (any connection on the system bus could read them).
    void sendPropertiesChanged(const QString &destination, const QString &path, const QVariantMap &changed);
    // Checks the call's signature; sends InvalidArgs and returns false when it does not match.
    bool expectSignature(const QDBusMessage &message, const QString &signature);

    QDBusConnection m_bus;
    CallGate &m_gate;

private:
    QString introspectionXml(const QString &path) const;
    void handleProperties(const QDBusMessage &message);

    QString m_rootPath;
    QString m_interfaceName;
    QString m_interfaceXml;
};

} // namespace Hamlet
