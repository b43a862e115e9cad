#include "manager.h"

#include "errors.h"

namespace Hamlet {

namespace {
const QString MonitorAction = QStringLiteral("dev.hamlet.monitor");
}

Manager::Manager(QDBusConnection bus, Authorizer &authorizer, Capabilities capabilities, QObject *parent)
    : QObject(parent)
    , m_bus(bus)
    , m_gate(bus, authorizer)
    , m_capabilities(std::move(capabilities))
    , m_subscriptions(bus)
{ }

QVariantMap Manager::GetCapabilities()
{
    m_gate.serve(*this, {MonitorAction, QStringLiteral("GetCapabilities")},
                 CallGate::immediate([this](const QDBusMessage &call) {
                     return call.createReply(QVariant(m_capabilities.toVariantMap()));
                 }));
    return {};
}

InstanceSummaryList Manager::ListInstances()
{
    m_gate.serve(*this, {MonitorAction, QStringLiteral("ListInstances")},
                 CallGate::immediate([](const QDBusMessage &call) {
                     return call.createReply(QVariant::fromValue(InstanceSummaryList {}));
                 }));
    return {};
}

void Manager::Subscribe(uint intervalMs)
{
    m_gate.serve(*this, {MonitorAction, QStringLiteral("Subscribe")},
                 CallGate::immediate([this, intervalMs](const QDBusMessage &call) {
                     if (intervalMs < Subscriptions::MinIntervalMs || intervalMs > Subscriptions::MaxIntervalMs)
                         return call.createErrorReply(
                             Error::InvalidArgument,
                             QStringLiteral("The sampling interval %1 ms is outside %2..%3 ms.")
                                 .arg(intervalMs)
                                 .arg(Subscriptions::MinIntervalMs)
                                 .arg(Subscriptions::MaxIntervalMs));
                     m_subscriptions.add(call.service(), intervalMs);
                     return call.createReply();
                 }));
}

void Manager::Unsubscribe()
{
    m_gate.serve(*this, {MonitorAction, QStringLiteral("Unsubscribe")},
                 CallGate::immediate([this](const QDBusMessage &call) {
                     m_subscriptions.remove(call.service());
                     return call.createReply();
                 }));
}

} // namespace Hamlet
