#pragma once

#include "imagereference.h"
#include "manifest.h"
#include "result.h"

#include <QByteArray>
#include <QNetworkAccessManager>
#include <QObject>
#include <QSet>
#include <QString>
#include <QUrl>

#include <QCoro/QCoroTask>
#include <functional>

class QNetworkReply;

namespace Hamlet::Registry {

using Containers::Result;
using Containers::Status;

// How to reach a registry, from PullImage's options.
struct RegistryOptions {
    bool insecure = false; // plain HTTP and unverified TLS (always allowed for loopback)
    QString username;
    QString password;
    int timeoutMs = 30000; // no byte for this long fails the request
};

// A response whose body was collected (manifests, configs, errors).
struct RegistryResponse {
    int status = 0;
    QByteArray body;
    QString contentType;
    QString contentDigest; // Docker-Content-Digest
    QString challenge; // WWW-Authenticate
};

// One repository of an OCI distribution (v2) registry, over Qt Network. The rule: HTTPS unless
// the registry is loopback or the options say insecure (then HTTPS without verification is tried
// first and plain HTTP after it, as docker does); a 401 is answered once per request with the
// challenge it names (Bearer: a token from the realm, sent Basic credentials when there are some;
// Basic: the credentials), and a second 401 is NotAuthorized with the registry's words; every
// request has a transfer timeout, so nothing hangs. abort() ends every request in flight at once.
// Lives in, and is used from, one thread with an event loop.
class RegistryClient : public QObject
{
    Q_OBJECT
public:
    RegistryClient(ImageReference reference, RegistryOptions options, QObject *parent = nullptr);

    // A manifest or index by tag or digest, with the Accept header of every supported type.
    QCoro::Task<Result<RegistryResponse>> fetchManifest(QString reference);
    // A small blob (a config), collected in memory and checked against its digest.
    QCoro::Task<Result<QByteArray>> fetchBlob(QString digest);
    // Streams a blob through sink (chunks in order); the caller hashes and stores them. An error
    // from the sink aborts the download with that error.
    using Sink = std::function<Status(const QByteArray &chunk)>;
    QCoro::Task<Status> streamBlob(QString digest, Sink *sink);

    void abort();
    bool aborted() const { return m_aborted; }

private:
    QCoro::Task<Result<RegistryResponse>> get(QString path, QByteArray accept, Sink *sink);
    // One request, following redirects (without Authorization to another host).
    QCoro::Task<Result<RegistryResponse>> getOnce(QUrl url, QByteArray accept, Sink *sink, QByteArray authorization);
    QCoro::Task<Status> chooseScheme();
    QCoro::Task<Status> authenticate(QString challenge);
    ErrorReply errorFor(const RegistryResponse &response, const QString &what) const;
    QString host() const { return m_reference.apiHost(); }

    ImageReference m_reference;
    RegistryOptions m_options;
    QNetworkAccessManager m_network;
    QString m_scheme; // chosen on the first request
    QByteArray m_authorization; // the Authorization header, once known
    QSet<QNetworkReply *> m_active;
    bool m_aborted = false;
};

} // namespace Hamlet::Registry
