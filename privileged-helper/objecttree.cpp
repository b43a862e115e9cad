#include "objecttree.h"

#include <QDBusMessage>
#include <QDBusVariant>
#include <QDomDocument>
#include <QFile>
#include <QTextStream>

namespace Hamlet {

namespace {
const QString PropertiesInterface = QStringLiteral("org.freedesktop.DBus.Properties");
const QString IntrospectableInterface = QStringLiteral("org.freedesktop.DBus.Introspectable");

// The <interface> element of the contract, from the resources compiled into the helper.
QString interfaceElement(const QString &interfaceName)
{
    QFile file(QStringLiteral(":/dbus/%1.xml").arg(interfaceName));
    QDomDocument document;
    if (!file.open(QIODevice::ReadOnly) || !document.setContent(&file))
        return {};
    QString xml;
    QTextStream stream(&xml);
    document.documentElement().firstChildElement(QStringLiteral("interface")).save(stream, 2);
    return xml;
}
} // namespace

ObjectTree::ObjectTree(QDBusConnection bus, CallGate &gate, QString rootPath, QString interfaceName, QObject *parent)
    : QDBusVirtualObject(parent)
    , m_bus(std::move(bus))
    , m_gate(gate)
    , m_rootPath(std::move(rootPath))
    , m_interfaceName(std::move(interfaceName))
    , m_interfaceXml(interfaceElement(m_interfaceName))
{ }

QString ObjectTree::introspect(const QString &) const
{
    return {};
}

QString ObjectTree::introspectionXml(const QString &path) const
{
    QString xml = QStringLiteral("<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\" "
                                 "\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n<node>\n");
    if (path == m_rootPath) {
        for (const QString &child : children())
            xml += QStringLiteral("  <node name=\"%1\"/>\n").arg(child);
    } else {
        xml += m_interfaceXml;
        xml += QStringLiteral("  <interface name=\"org.freedesktop.DBus.Properties\">\n"
                              "    <method name=\"Get\"><arg name=\"interface\" type=\"s\" direction=\"in\"/>"
                              "<arg name=\"name\" type=\"s\" direction=\"in\"/>"
                              "<arg name=\"value\" type=\"v\" direction=\"out\"/></method>\n"
                              "    <method name=\"GetAll\"><arg name=\"interface\" type=\"s\" direction=\"in\"/>"
                              "<arg name=\"values\" type=\"a{sv}\" direction=\"out\"/></method>\n"
                              "    <signal name=\"PropertiesChanged\"><arg type=\"s\"/><arg type=\"a{sv}\"/>"
                              "<arg type=\"as\"/></signal>\n  </interface>\n");
    }
    xml += QStringLiteral("  <interface name=\"org.freedesktop.DBus.Introspectable\">\n"
                          "    <method name=\"Introspect\"><arg type=\"s\" direction=\"out\"/></method>\n"
                          "  </interface>\n</node>\n");
    return xml;
}

bool ObjectTree::handleMessage(const QDBusMessage &message, const QDBusConnection &)
{
    const QString path = message.path();
    const bool isRoot = path == m_rootPath;
    if (!isRoot && !exists(path)) {
        // Gated like the rest: a refused caller must not learn which objects exist.
        m_gate.serve(message, {readAction(path), message.member()}, CallGate::immediate([](const QDBusMessage &call) {
                         return call.createErrorReply(QDBusError::UnknownObject,
                                                      QStringLiteral("No object at %1.").arg(call.path()));
                     }));
        return true;
    }
    if (message.interface() == IntrospectableInterface && message.member() == QLatin1String("Introspect")) {
        m_gate.serve(message, {readAction(path), QStringLiteral("Introspect")},
                     CallGate::immediate(
                         [this](const QDBusMessage &call) { return call.createReply(introspectionXml(call.path())); }));
        return true;
    }
    if (isRoot) {
        m_bus.send(message.createErrorReply(QDBusError::UnknownMethod,
                                            QStringLiteral("%1 only lists its children.").arg(m_rootPath)));
        return true;
    }
    if (message.interface() == PropertiesInterface) {
        handleProperties(message);
        return true;
    }
    if (message.interface() == m_interfaceName || message.interface().isEmpty()) {
        call(message);
        return true;
    }
    m_bus.send(message.createErrorReply(QDBusError::UnknownInterface,
                                        QStringLiteral("No interface %1 at %2.").arg(message.interface(), path)));
    return true;
}

void ObjectTree::handleProperties(const QDBusMessage &message)
{
    const QString member = message.member();
    if (member == QLatin1String("Set")) {
        m_bus.send(
            message.createErrorReply(QDBusError::PropertyReadOnly, QStringLiteral("All properties are read-only.")));
        return;
    }
    if ((member == QLatin1String("Get") && !expectSignature(message, QStringLiteral("ss")))
        || (member == QLatin1String("GetAll") && !expectSignature(message, QStringLiteral("s"))))
        return;
    if (member != QLatin1String("Get") && member != QLatin1String("GetAll")) {
        m_bus.send(
            message.createErrorReply(QDBusError::UnknownMethod, QStringLiteral("Unknown method %1.").arg(member)));
        return;
    }
    m_gate.serve(message, {readAction(message.path()), QStringLiteral("Properties.") + member},
                 [this](const QDBusMessage &call) -> QCoro::Task<QDBusMessage> {
                     if (!exists(call.path()))
                         co_return call.createErrorReply(QDBusError::UnknownObject,
                                                         QStringLiteral("The object is gone."));
                     const QString interface = call.arguments().value(0).toString();
                     if (!interface.isEmpty() && interface != m_interfaceName)
                         co_return call.createErrorReply(QDBusError::UnknownInterface,
                                                         QStringLiteral("No interface %1.").arg(interface));
                     const QVariantMap values = co_await propertiesFor(call.path(), call);
                     if (call.member() == QLatin1String("GetAll"))
                         co_return call.createReply(values);
                     const QString name = call.arguments().value(1).toString();
                     if (!values.contains(name))
                         co_return call.createErrorReply(QDBusError::UnknownProperty,
                                                         QStringLiteral("No property %1.").arg(name));
                     co_return call.createReply(QVariant::fromValue(QDBusVariant(values.value(name))));
                 });
}

QCoro::Task<QVariantMap> ObjectTree::propertiesFor(QString path, QDBusMessage)
{
    co_return properties(path);
}

void ObjectTree::sendPropertiesChanged(const QString &destination, const QString &path, const QVariantMap &changed)
{
    QDBusMessage signal = QDBusMessage::createTargetedSignal(destination, path, PropertiesInterface,
                                                             QStringLiteral("PropertiesChanged"));
    signal << m_interfaceName << changed << QStringList();
    m_bus.send(signal);
}

bool ObjectTree::expectSignature(const QDBusMessage &message, const QString &signature)
{
    if (message.signature() == signature)
        return true;
    m_bus.send(message.createErrorReply(
        QDBusError::InvalidArgs,
        QStringLiteral("%1 takes (%2), not (%3).").arg(message.member(), signature, message.signature())));
    return false;
}

} // namespace Hamlet
