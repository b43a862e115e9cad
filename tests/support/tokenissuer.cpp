#include "localregistry.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrlQuery>
#include <QUuid>

namespace Hamlet::Test {

namespace {

const QString kService = QStringLiteral("hamlet-test-registry");
const QString kIssuer = QStringLiteral("hamlet-test-issuer");

QByteArray base64Url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

bool runOpenssl(const QStringList &arguments, const QByteArray &input, QByteArray *output, QString *error)
{
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"), arguments);
    openssl.write(input);
    openssl.closeWriteChannel();
    if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0) {
        *error = QStringLiteral("openssl %1 failed: %2")
                     .arg(arguments.join(QLatin1Char(' ')), QString::fromUtf8(openssl.readAllStandardError()));
        return false;
    }
    if (output)
        *output = openssl.readAllStandardOutput();
    return true;
}

} // namespace

class TokenIssuer::Server : public QTcpServer
{
public:
    QString user;
    QString password;
    QTemporaryDir dir;
    QByteArray certificateDer;
    QString error;
    int requests = 0;

    QString keyPath() const { return dir.path() + QStringLiteral("/key.pem"); }
    QString certPath() const { return dir.path() + QStringLiteral("/cert.pem"); }

    bool makeKey()
    {
        if (!runOpenssl({QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                         QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"), keyPath(),
                         QStringLiteral("-out"), certPath(), QStringLiteral("-days"), QStringLiteral("2"),
                         QStringLiteral("-subj"), QStringLiteral("/CN=") + kIssuer},
                        {}, nullptr, &error))
            return false;
        return runOpenssl({QStringLiteral("x509"), QStringLiteral("-in"), certPath(), QStringLiteral("-outform"),
                           QStringLiteral("DER")},
                          {}, &certificateDer, &error);
    }

    QByteArray token(const QStringList &scopes)
    {
        QJsonArray access;
        for (const QString &scope : scopes) {
            const QStringList parts = scope.split(QLatin1Char(':'));
            if (parts.size() != 3)
                continue;
            access.append(QJsonObject {{QStringLiteral("type"), parts[0]},
                                       {QStringLiteral("name"), parts[1]},
                                       {QStringLiteral("actions"), QJsonArray::fromStringList(parts[2].split(','))}});
        }
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QJsonObject header {{QStringLiteral("alg"), QStringLiteral("RS256")},
                                  {QStringLiteral("typ"), QStringLiteral("JWT")},
                                  {QStringLiteral("x5c"), QJsonArray {QString::fromLatin1(certificateDer.toBase64())}}};
        const QJsonObject claims {{QStringLiteral("iss"), kIssuer},
                                  {QStringLiteral("sub"), user},
                                  {QStringLiteral("aud"), kService},
                                  {QStringLiteral("iat"), now - 10},
                                  {QStringLiteral("nbf"), now - 10},
                                  {QStringLiteral("exp"), now + 600},
                                  {QStringLiteral("jti"), QUuid::createUuid().toString(QUuid::WithoutBraces)},
                                  {QStringLiteral("access"), access}};
        const QByteArray signingInput = base64Url(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
            + base64Url(QJsonDocument(claims).toJson(QJsonDocument::Compact));
        QByteArray signature;
        if (!runOpenssl({QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-sign"), keyPath()},
                        signingInput, &signature, &error))
            return {};
        return signingInput + '.' + base64Url(signature);
    }

    void answer(QTcpSocket *socket)
    {
        const QByteArray request = socket->property("request").toByteArray();
        const QList<QByteArray> lines = request.split('\n');
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        const QUrl url(QString::fromLatin1(requestLine.value(1)));
        QByteArray authorization;
        for (const QByteArray &line : lines) {
            if (line.toLower().startsWith("authorization:"))
                authorization = line.mid(14).trimmed();
        }
        ++requests;
        const QByteArray expected = "Basic " + (user + QLatin1Char(':') + password).toUtf8().toBase64();
        QByteArray status = "200 OK";
        QByteArray body;
        if (authorization != expected) {
            status = "401 Unauthorized";
            body = R"({"details":"incorrect username or password"})";
        } else {
            QStringList scopes;
            for (const auto &item : QUrlQuery(url).queryItems(QUrl::FullyDecoded)) {
                if (item.first == QLatin1String("scope"))
                    scopes << item.second;
            }
            body = QJsonDocument(QJsonObject {{QStringLiteral("token"), QString::fromLatin1(token(scopes))}})
                       .toJson(QJsonDocument::Compact);
        }
        socket->write("HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: "
                      + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        socket->disconnectFromHost();
    }

    void incomingConnection(qintptr descriptor) override
    {
        auto *socket = new QTcpSocket(this);
        socket->setSocketDescriptor(descriptor);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
            QByteArray request = socket->property("request").toByteArray() + socket->readAll();
            socket->setProperty("request", request);
            if (request.contains("\r\n\r\n"))
                answer(socket);
        });
    }
};

TokenIssuer::TokenIssuer(QString user, QString password)
    : m_server(std::make_unique<Server>())
{
    m_server->user = std::move(user);
    m_server->password = std::move(password);
}

TokenIssuer::~TokenIssuer() = default;

bool TokenIssuer::start()
{
    if (!m_server->makeKey())
        return false;
    if (!m_server->listen(QHostAddress::LocalHost, 0)) {
        m_server->error = m_server->errorString();
        return false;
    }
    return true;
}

LocalRegistry::TokenAuth TokenIssuer::auth() const
{
    return {QStringLiteral("http://127.0.0.1:%1/token").arg(m_server->serverPort()), kService, kIssuer,
            m_server->certPath()};
}

int TokenIssuer::requests() const
{
    return m_server->requests;
}

QString TokenIssuer::error() const
{
    return m_server->error;
}

} // namespace Hamlet::Test
