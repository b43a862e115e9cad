#include "registryclient.h"

#include "imagestore.h"
#include "logging.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSslConfiguration>
#include <QUrlQuery>

#include <QCoro/QCoroNetworkReply>
#include <memory>

namespace Hamlet::Registry {

namespace {

constexpr qint64 kMaxCollectedBytes = 16 * 1024 * 1024; // manifests, configs, error bodies
constexpr int kMaxRedirects = 5;

// "Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="..."".
QMap<QString, QString> challengeParameters(const QString &challenge)
{
    QMap<QString, QString> parameters;
    static const QRegularExpression pair(QStringLiteral("([A-Za-z]+)=\"([^\"]*)\""));
    auto matches = pair.globalMatch(challenge);
    while (matches.hasNext()) {
        const auto match = matches.next();
        parameters.insert(match.captured(1).toLower(), match.captured(2));
    }
    return parameters;
}

// The registry's own words: {"errors":[{"code","message","detail"}]} (distribution),
// {"details": ...} (token servers), or the start of the body.
QString registryMessage(const QByteArray &body)
{
    const QJsonObject object = QJsonDocument::fromJson(body).object();
    QStringList messages;
    for (const auto &error : object.value(QStringLiteral("errors")).toArray()) {
        const QString message = error[QStringLiteral("message")].toString();
        const QString code = error[QStringLiteral("code")].toString();
        messages << (code.isEmpty() ? message : QStringLiteral("%1 (%2)").arg(message, code));
    }
    for (const char *key : {"details", "detail", "message", "error"}) {
        if (object.value(QLatin1String(key)).isString())
            messages << object.value(QLatin1String(key)).toString();
    }
    if (messages.isEmpty() && !body.isEmpty() && !body.startsWith('{'))
        messages << QString::fromUtf8(body.left(200)).simplified();
    return messages.join(QStringLiteral("; "));
}

void deleteReplyLater(QNetworkReply *reply)
{
    reply->deleteLater();
}

} // namespace

RegistryClient::RegistryClient(ImageReference reference, RegistryOptions options, QObject *parent)
    : QObject(parent)
    , m_reference(std::move(reference))
    , m_options(std::move(options))
    , m_network(this)
{
    // Redirects are followed by hand: the Authorization header must not go to another host
    // (blob storage behind a registry refuses requests that carry one).
    m_network.setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

void RegistryClient::abort()
{
    m_aborted = true;
    const QSet<QNetworkReply *> active = m_active;
    for (QNetworkReply *reply : active)
        reply->abort();
}

QCoro::Task<Result<RegistryResponse>> RegistryClient::fetchManifest(QString reference)
{
    const QString path = QStringLiteral("/v2/%1/manifests/%2").arg(m_reference.repository, reference);
    const QByteArray accept = acceptedManifestTypes();
    const Result<RegistryResponse> response = co_await get(path, accept, nullptr);
    if (!response)
        co_return response;
    if (response->status != 200) {
        const QString kind
            = reference.startsWith(QLatin1String("sha256:")) ? QStringLiteral("manifest") : QStringLiteral("tag");
        const QString what = QStringLiteral("%1 \"%2\" in repository %3").arg(kind, reference, m_reference.repository);
        co_return errorFor(*response, what);
    }
    co_return response;
}

QCoro::Task<Result<QByteArray>> RegistryClient::fetchBlob(QString digest)
{
    const QString path = QStringLiteral("/v2/%1/blobs/%2").arg(m_reference.repository, digest);
    const QByteArray accept;
    const Result<RegistryResponse> response = co_await get(path, accept, nullptr);
    if (!response)
        co_return response.error();
    if (response->status != 200)
        co_return errorFor(*response, QStringLiteral("blob %1").arg(digest));
    if (Containers::ImageStore::digestOf(response->body) != digest)
        co_return ErrorReply {Error::Failed,
                              QStringLiteral("blob %1 from %2 does not match its digest: the registry or the network "
                                             "corrupted it; nothing was stored")
                                  .arg(digest, host())};
    co_return response->body;
}

QCoro::Task<Status> RegistryClient::streamBlob(QString digest, Sink *sink)
{
    const QString path = QStringLiteral("/v2/%1/blobs/%2").arg(m_reference.repository, digest);
    const QByteArray accept;
    const Result<RegistryResponse> response = co_await get(path, accept, sink);
    if (!response)
        co_return response.error();
    if (response->status != 200)
        co_return errorFor(*response, QStringLiteral("blob %1").arg(digest));
    co_return Containers::success();
}

ErrorReply RegistryClient::errorFor(const RegistryResponse &response, const QString &what) const
{
    const QString said = registryMessage(response.body);
    const QString suffix = said.isEmpty() ? QString() : QStringLiteral(": ") + said;
    switch (response.status) {
    case 401:
    case 403:
        return {Error::NotAuthorized,
                QStringLiteral("registry %1 refused access to %2 (HTTP %3)%4")
                    .arg(host(), what)
                    .arg(response.status)
                    .arg(suffix)};
    case 404:
        return {Error::NotFound, QStringLiteral("registry %1 has no %2 (HTTP 404)%3").arg(host(), what, suffix)};
    case 429:
        return {
            Error::Failed,
            QStringLiteral("registry %1 limits the rate of pulls (HTTP 429)%2: try again later").arg(host(), suffix)};
    default:
        return {
            Error::Failed,
            QStringLiteral("registry %1 answered HTTP %2 for %3%4").arg(host()).arg(response.status).arg(what, suffix)};
    }
}

QCoro::Task<Status> RegistryClient::chooseScheme()
{
    if (!m_options.insecure && !m_reference.isLoopback()) {
        m_scheme = QStringLiteral("https");
        co_return Containers::success();
    }
    // As docker does for insecure registries: HTTPS (unverified) when it answers, else HTTP.
    const QUrl probe(QStringLiteral("https://%1/v2/").arg(host()));
    const QByteArray none;
    const Result<RegistryResponse> answer = co_await getOnce(probe, none, nullptr, none);
    if (m_aborted)
        co_return answer.error();
    m_scheme = answer.ok() ? QStringLiteral("https") : QStringLiteral("http");
    Log::helper()->debug("registry {}: using {}", host(), m_scheme);
    co_return Containers::success();
}

QCoro::Task<Result<RegistryResponse>> RegistryClient::get(QString path, QByteArray accept, Sink *sink)
{
    if (m_scheme.isEmpty()) {
        const Status chosen = co_await chooseScheme();
        if (!chosen)
            co_return chosen.error();
    }
    const QUrl url(m_scheme + QStringLiteral("://") + host() + path);
    Result<RegistryResponse> response = co_await getOnce(url, accept, sink, m_authorization);
    if (!response || response->status != 401)
        co_return response;
    const QString challenge = response->challenge;
    const Status authenticated = co_await authenticate(challenge);
    if (!authenticated)
        co_return authenticated.error();
    response = co_await getOnce(url, accept, sink, m_authorization);
    if (response && response->status == 401 && m_authorization.startsWith("Basic ")) {
        const QString said = registryMessage(response->body);
        co_return ErrorReply {
            Error::NotAuthorized,
            QStringLiteral("registry %1 refused the user name and password of %2%3")
                .arg(host(), m_options.username, said.isEmpty() ? QString() : QStringLiteral(": ") + said)};
    }
    co_return response;
}

QCoro::Task<Status> RegistryClient::authenticate(QString challenge)
{
    const bool hasCredentials = !m_options.username.isEmpty();
    const QByteArray basic
        = "Basic " + (m_options.username + QLatin1Char(':') + m_options.password).toUtf8().toBase64();
    if (challenge.startsWith(QLatin1String("Basic"), Qt::CaseInsensitive)) {
        if (!hasCredentials)
            co_return ErrorReply {
                Error::NotAuthorized,
                QStringLiteral("registry %1 needs a user name and password: log in to it first").arg(host())};
        if (m_authorization == basic)
            co_return ErrorReply {
                Error::NotAuthorized,
                QStringLiteral("registry %1 refused the user name and password of %2").arg(host(), m_options.username)};
        m_authorization = basic;
        co_return Containers::success();
    }
    if (!challenge.startsWith(QLatin1String("Bearer"), Qt::CaseInsensitive))
        co_return ErrorReply {Error::NotAuthorized,
                              QStringLiteral("registry %1 asks for an unsupported kind of authentication (\"%2\")")
                                  .arg(host(), challenge.section(QLatin1Char(' '), 0, 0))};
    if (m_authorization.startsWith("Bearer ")) // a token was refused: asking again would loop
        co_return ErrorReply {
            Error::NotAuthorized,
            QStringLiteral("registry %1 refused its own token for %2").arg(host(), m_reference.name())};
    const QMap<QString, QString> parameters = challengeParameters(challenge);
    QUrl realm(parameters.value(QStringLiteral("realm")));
    if (!realm.isValid() || (realm.scheme() != QLatin1String("https") && realm.scheme() != QLatin1String("http")))
        co_return ErrorReply {Error::Failed,
                              QStringLiteral("registry %1 names no usable token service (realm \"%2\")")
                                  .arg(host(), parameters.value(QStringLiteral("realm")))};
    // A password goes to the token service: never in clear text to another machine.
    const bool realmIsLoopback = realm.host() == QLatin1String("localhost") || QHostAddress(realm.host()).isLoopback();
    if (hasCredentials && realm.scheme() == QLatin1String("http") && !realmIsLoopback && !m_options.insecure)
        co_return ErrorReply {Error::NotAuthorized,
                              QStringLiteral("registry %1 sends passwords to a token service over plain HTTP (%2): "
                                             "refused; use the \"insecure\" option only if you trust the network")
                                  .arg(host(), realm.toString(QUrl::RemoveQuery))};
    QUrlQuery query(realm);
    if (parameters.contains(QStringLiteral("service")))
        query.addQueryItem(QStringLiteral("service"), parameters.value(QStringLiteral("service")));
    const QString scope
        = parameters.value(QStringLiteral("scope"), QStringLiteral("repository:%1:pull").arg(m_reference.repository));
    query.addQueryItem(QStringLiteral("scope"), scope);
    realm.setQuery(query);
    const QByteArray accept = "application/json";
    const QByteArray authorization = hasCredentials ? basic : QByteArray();
    const Result<RegistryResponse> answer = co_await getOnce(realm, accept, nullptr, authorization);
    if (!answer)
        co_return answer.error();
    if (answer->status != 200) {
        const QString said = registryMessage(answer->body);
        const QString who = hasCredentials ? QStringLiteral("the credentials of %1").arg(m_options.username)
                                           : QStringLiteral("anonymous access");
        co_return ErrorReply {answer->status == 401 || answer->status == 403 ? Error::NotAuthorized : Error::Failed,
                              QStringLiteral("the token service of registry %1 refused %2 (HTTP %3)%4")
                                  .arg(host(), who)
                                  .arg(answer->status)
                                  .arg(said.isEmpty() ? QString() : QStringLiteral(": ") + said)};
    }
    const QJsonObject token = QJsonDocument::fromJson(answer->body).object();
    const QString value
        = token.value(QStringLiteral("token")).toString(token.value(QStringLiteral("access_token")).toString());
    if (value.isEmpty())
        co_return ErrorReply {Error::Failed,
                              QStringLiteral("the token service of registry %1 sent no token").arg(host())};
    m_authorization = "Bearer " + value.toUtf8();
    co_return Containers::success();
}

QCoro::Task<Result<RegistryResponse>> RegistryClient::getOnce(QUrl url, QByteArray accept, Sink *sink,
                                                              QByteArray authorization)
{
    const QString origin = url.host();
    for (int redirects = 0;; ++redirects) {
        if (m_aborted)
            co_return ErrorReply {Error::Failed, QStringLiteral("the pull was cancelled")};
        QNetworkRequest request(url);
        if (!accept.isEmpty())
            request.setRawHeader("Accept", accept);
        if (!authorization.isEmpty() && url.host() == origin)
            request.setRawHeader("Authorization", authorization);
        request.setTransferTimeout(m_options.timeoutMs);
        // Unverified TLS only for the registry the caller named insecure (or a loopback one), never
        // for a token service or redirect target elsewhere: credentials may go there.
        const bool urlIsLoopback = url.host() == QLatin1String("localhost") || QHostAddress(url.host()).isLoopback();
        const bool isRegistry = url.authority() == host();
        if (url.scheme() == QLatin1String("https") && (urlIsLoopback || (isRegistry && m_options.insecure))) {
            QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
            tls.setPeerVerifyMode(QSslSocket::VerifyNone);
            request.setSslConfiguration(tls);
        }
        QNetworkReply *reply = m_network.get(request);
        m_active.insert(reply);
        RegistryResponse response;
        Status sinkStatus = Containers::success();
        auto drain = [reply, sink, &response, &sinkStatus] {
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (sink && status == 200) {
                const QByteArray chunk = reply->readAll();
                if (sinkStatus.ok() && !chunk.isEmpty()) {
                    sinkStatus = (*sink)(chunk);
                    if (!sinkStatus.ok())
                        reply->abort();
                }
            } else if (response.body.size() < kMaxCollectedBytes) {
                response.body += reply->readAll();
            } else {
                reply->abort();
            }
        };
        connect(reply, &QNetworkReply::readyRead, reply, drain);
        co_await reply;
        drain();
        reply->disconnect();
        m_active.remove(reply);
        // Deleted once control is back in the event loop: everything below reads it first.
        const std::unique_ptr<QNetworkReply, decltype(&deleteReplyLater)> done(reply, &deleteReplyLater);
        if (!sinkStatus.ok())
            co_return sinkStatus.error();
        if (m_aborted)
            co_return ErrorReply {Error::Failed, QStringLiteral("the pull was cancelled")};
        response.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (response.status == 0) {
            QString why = reply->error() == QNetworkReply::OperationCanceledError
                ? QStringLiteral("no answer within %1 s").arg(m_options.timeoutMs / 1000)
                : reply->errorString();
            if (reply->error() == QNetworkReply::SslHandshakeFailedError)
                why += QStringLiteral(" (a registry without HTTPS needs the \"insecure\" option)");
            co_return ErrorReply {Error::Failed,
                                  QStringLiteral("cannot reach registry %1: %2").arg(url.authority(), why)};
        }
        if (response.body.size() >= kMaxCollectedBytes)
            co_return ErrorReply {Error::Failed,
                                  QStringLiteral("registry %1 sent more than %2 MiB where a manifest or config was "
                                                 "expected")
                                      .arg(url.authority())
                                      .arg(kMaxCollectedBytes / 1024 / 1024)};
        response.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toString();
        response.contentDigest = QString::fromLatin1(reply->rawHeader("Docker-Content-Digest"));
        response.challenge = QString::fromLatin1(reply->rawHeader("WWW-Authenticate"));
        const QUrl location = reply->attribute(QNetworkRequest::RedirectionTargetAttribute).toUrl();
        if (response.status < 300 || response.status >= 400 || location.isEmpty())
            co_return response;
        if (redirects >= kMaxRedirects)
            co_return ErrorReply {
                Error::Failed,
                QStringLiteral("registry %1 redirected more than %2 times").arg(host()).arg(kMaxRedirects)};
        const QUrl next = url.resolved(location);
        if (url.scheme() == QLatin1String("https") && next.scheme() != QLatin1String("https"))
            co_return ErrorReply {
                Error::Failed,
                QStringLiteral("registry %1 redirected from HTTPS to %2: refused").arg(host(), next.toString())};
        url = next;
    }
}

} // namespace Hamlet::Registry
