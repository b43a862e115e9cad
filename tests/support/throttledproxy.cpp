#include "localregistry.h"

#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <memory>

namespace Hamlet::Test {

class ThrottledProxy::Server : public QTcpServer
{
public:
    quint16 target = 0;
    qint64 bytesPerTick = 0; // a tick is 10 ms

    void incomingConnection(qintptr descriptor) override
    {
        auto *client = new QTcpSocket(this);
        client->setSocketDescriptor(descriptor);
        auto *upstream = new QTcpSocket(client);
        auto pending = std::make_shared<QByteArray>(); // outlives the socket's last timer tick
        auto *pump = new QTimer(client);
        upstream->connectToHost(QHostAddress::LocalHost, target);
        connect(client, &QTcpSocket::readyRead, upstream, [client, upstream] { upstream->write(client->readAll()); });
        connect(upstream, &QTcpSocket::connected, upstream, [client, upstream] { upstream->write(client->readAll()); });
        connect(upstream, &QTcpSocket::readyRead, client,
                [upstream, pending] { pending->append(upstream->readAll()); });
        connect(pump, &QTimer::timeout, client, [this, client, upstream, pending] {
            if (!pending->isEmpty()) {
                client->write(pending->left(bytesPerTick));
                pending->remove(0, bytesPerTick);
            } else if (upstream->state() == QAbstractSocket::UnconnectedState) {
                client->disconnectFromHost();
            }
        });
        connect(client, &QTcpSocket::disconnected, client, [client, pump] {
            pump->stop();
            client->deleteLater();
        });
        pump->start(10);
    }
};

ThrottledProxy::ThrottledProxy(quint16 targetPort, qint64 bytesPerSecond, QString listenAddress)
    : m_address(std::move(listenAddress))
    , m_server(std::make_unique<Server>())
{
    m_server->target = targetPort;
    m_server->bytesPerTick = qMax<qint64>(1, bytesPerSecond / 100);
}

ThrottledProxy::~ThrottledProxy() = default;

bool ThrottledProxy::start()
{
    return m_server->listen(QHostAddress(m_address), 0);
}

QString ThrottledProxy::hostPort() const
{
    return QStringLiteral("%1:%2").arg(m_address).arg(m_server->serverPort());
}

} // namespace Hamlet::Test
