#pragma once

#include "capabilities.h"
#include "dbustypes.h"

#include <QDBusConnection>
#include <QDBusError>
#include <QObject>
#include <QString>

#include <QCoro/QCoroTask>
#include <memory>
#include <variant>

class Manager1Proxy;

namespace Hamlet {

// A failed call, ready to show: the D-Bus error name, the helper's message, and a hint that says
// what the person can do about it.
struct ClientError {
    QString name;
    QString message;
    QString hint;

    static ClientError fromDBus(const QDBusError &error);
    QString text() const; // message and hint, for a label
};

template <typename T> using Result = std::variant<T, ClientError>;

// The client side of the contract, shared by the GUI and hamletctl. Connects to the helper on the
// system bus, or on the bus named by HAMLET_BUS_ADDRESS (tests, development); every call is async.
class HelperClient : public QObject
{
    Q_OBJECT
public:
    // busAddress: "" uses HAMLET_BUS_ADDRESS if set, else the system bus.
    explicit HelperClient(const QString &busAddress = {}, QObject *parent = nullptr);
    ~HelperClient() override;

    QDBusConnection bus() const { return m_bus; }
    QString busDescription() const;

    QCoro::Task<Result<Capabilities>> capabilities();
    QCoro::Task<Result<InstanceSummaryList>> listInstances();

private:
    QString m_busDescription; // before m_bus: filled in while m_bus is connected
    QDBusConnection m_bus;
    std::unique_ptr<Manager1Proxy> m_manager;
};

} // namespace Hamlet
