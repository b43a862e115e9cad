#include "localregistry.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QUrlQuery>

#include <csignal>
#include <sys/prctl.h>

namespace Hamlet::Test {

namespace {

const QString kOciManifest = QStringLiteral("application/vnd.oci.image.manifest.v1+json");
const QString kOciIndex = QStringLiteral("application/vnd.oci.image.index.v1+json");
const QString kOciConfig = QStringLiteral("application/vnd.oci.image.config.v1+json");
const QString kDockerManifest = QStringLiteral("application/vnd.docker.distribution.manifest.v2+json");
const QString kDockerList = QStringLiteral("application/vnd.docker.distribution.manifest.list.v2+json");
const QString kDockerConfig = QStringLiteral("application/vnd.docker.container.image.v1+json");

struct HttpResult {
    int status = 0;
    QByteArray body;
    QByteArray location;
    QString error;
};

HttpResult send(const QByteArray &verb, const QUrl &url, const QByteArray &body, const QString &contentType = {})
{
    QNetworkAccessManager network;
    QNetworkRequest request(url);
    if (!contentType.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    request.setTransferTimeout(30000);
    QNetworkReply *reply = network.sendCustomRequest(request, verb, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    HttpResult result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = reply->readAll();
    result.location = reply->rawHeader("Location");
    if (reply->error() != QNetworkReply::NoError)
        result.error = reply->errorString() + QStringLiteral(": ") + QString::fromUtf8(result.body);
    reply->deleteLater();
    return result;
}

quint16 freeLoopbackPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

bool waitUntilListening(quint16 port, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (socket.waitForConnected(200))
            return true;
        QThread::msleep(50);
    }
    return false;
}

QJsonObject descriptor(const QString &mediaType, const QString &digest, qint64 size)
{
    return {
        {QStringLiteral("mediaType"), mediaType}, {QStringLiteral("digest"), digest}, {QStringLiteral("size"), size}};
}

} // namespace

LocalRegistry::LocalRegistry()
{
    m_dir.setAutoRemove(qEnvironmentVariableIsEmpty("HAMLET_TEST_KEEP"));
}

LocalRegistry::~LocalRegistry()
{
    stop();
}

QString LocalRegistry::hostPort() const
{
    return QStringLiteral("127.0.0.1:%1").arg(m_port);
}

bool LocalRegistry::running() const
{
    return m_process && m_process->state() == QProcess::Running;
}

bool LocalRegistry::start()
{
    return startProcess({});
}

bool LocalRegistry::startWithTokenAuth(const TokenAuth &auth)
{
    return startProcess(QStringLiteral("auth:\n  token:\n    realm: %1\n    service: %2\n    issuer: %3\n"
                                       "    rootcertbundle: %4\n")
                            .arg(auth.realm, auth.service, auth.issuer, auth.rootCertBundle));
}

bool LocalRegistry::startWithBasicAuth(const QString &user, const QString &password)
{
    QProcess htpasswd;
    htpasswd.start(QStringLiteral("htpasswd"), {QStringLiteral("-Bbn"), user, password});
    if (!htpasswd.waitForFinished(10000) || htpasswd.exitCode() != 0) {
        m_error = QStringLiteral("htpasswd failed (install the Debian package apache2-utils): %1")
                      .arg(QString::fromUtf8(htpasswd.readAllStandardError()));
        return false;
    }
    const QString path = m_dir.path() + QStringLiteral("/htpasswd");
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(htpasswd.readAllStandardOutput()) <= 0) {
        m_error = QStringLiteral("cannot write %1").arg(path);
        return false;
    }
    file.close();
    return startProcess(QStringLiteral("auth:\n  htpasswd:\n    realm: hamlet-test\n    path: %1\n").arg(path));
}

bool LocalRegistry::startProcess(const QString &authSection)
{
    stop();
    if (m_port == 0)
        m_port = freeLoopbackPort();
    const QString config
        = QStringLiteral("version: 0.1\n"
                         "log:\n  level: warn\n  accesslog:\n    disabled: false\n"
                         "storage:\n  filesystem:\n    rootdirectory: %1\n  delete:\n    enabled: true\n"
                         "http:\n  addr: %2\n  secret: hamlet-test\n")
              .arg(storageDir(), hostPort())
        + authSection;
    const QString configPath = m_dir.path() + QStringLiteral("/config.yml");
    QFile file(configPath);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(config.toUtf8()) != config.toUtf8().size()) {
        m_error = QStringLiteral("cannot write %1").arg(configPath);
        return false;
    }
    file.close();
    m_process = std::make_unique<QProcess>();
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    m_process->setStandardOutputFile(m_dir.path() + QStringLiteral("/access.log"), QIODevice::Append);
    m_process->setStandardErrorFile(m_dir.path() + QStringLiteral("/registry.log"), QIODevice::Append);
    m_process->start(QStringLiteral("docker-registry"), {QStringLiteral("serve"), configPath});
    if (!m_process->waitForStarted(5000)) {
        m_error = QStringLiteral("cannot start docker-registry (install the Debian package docker-registry): %1")
                      .arg(m_process->errorString());
        return false;
    }
    if (!waitUntilListening(m_port, 10000)) {
        QFile log(m_dir.path() + QStringLiteral("/registry.log"));
        log.open(QIODevice::ReadOnly);
        m_error = QStringLiteral("docker-registry did not listen on %1: %2")
                      .arg(hostPort(), QString::fromUtf8(log.readAll()));
        stop();
        return false;
    }
    return true;
}

void LocalRegistry::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(5000)) {
            m_process->kill();
            m_process->waitForFinished(2000);
        }
    }
    m_process.reset();
}

QByteArray LocalRegistry::accessLog() const
{
    QFile log(m_dir.path() + QStringLiteral("/access.log"));
    return log.open(QIODevice::ReadOnly) ? log.readAll() : QByteArray();
}

int LocalRegistry::blobDownloads() const
{
    static const QRegularExpression blobGet(QStringLiteral("\"GET /v2/\\S+/blobs/sha256:[0-9a-f]{64} HTTP"));
    return static_cast<int>(QString::fromUtf8(accessLog()).count(blobGet));
}

QString LocalRegistry::blobDataPath(const QString &digest) const
{
    const QString hex = digest.mid(7);
    return storageDir() + QStringLiteral("/docker/registry/v2/blobs/sha256/%1/%2/data").arg(hex.left(2), hex);
}

bool LocalRegistry::tamperBlob(const QString &digest)
{
    QFile data(blobDataPath(digest));
    if (!data.open(QIODevice::ReadWrite) || data.size() == 0)
        return false;
    const qint64 middle = data.size() / 2;
    data.seek(middle);
    char byte = 0;
    data.getChar(&byte);
    data.seek(middle);
    return data.putChar(static_cast<char>(byte ^ 0x5a));
}

bool LocalRegistry::pushBlob(const QString &repository, const QByteArray &data, const QString &digest)
{
    const QUrl base(QStringLiteral("http://%1/v2/%2/blobs/uploads/").arg(hostPort(), repository));
    const HttpResult started = send("POST", base, {});
    if (started.status != 202) {
        m_error = QStringLiteral("starting a blob upload failed (%1): %2").arg(started.status).arg(started.error);
        return false;
    }
    QUrl upload = base.resolved(QUrl(QString::fromUtf8(started.location)));
    QUrlQuery query(upload);
    query.addQueryItem(QStringLiteral("digest"), digest);
    upload.setQuery(query);
    const HttpResult finished = send("PUT", upload, data, QStringLiteral("application/octet-stream"));
    if (finished.status != 201) {
        m_error
            = QStringLiteral("uploading blob %1 failed (%2): %3").arg(digest).arg(finished.status).arg(finished.error);
        return false;
    }
    return true;
}

bool LocalRegistry::putManifest(const QString &repository, const QString &reference, const QByteArray &body,
                                const QString &mediaType)
{
    const QUrl url(QStringLiteral("http://%1/v2/%2/manifests/%3").arg(hostPort(), repository, reference));
    const HttpResult put = send("PUT", url, body, mediaType);
    if (put.status != 201) {
        m_error = QStringLiteral("pushing manifest %1:%2 failed (%3): %4")
                      .arg(repository, reference)
                      .arg(put.status)
                      .arg(put.error);
        return false;
    }
    return true;
}

std::optional<PushedImage> LocalRegistry::pushImage(const QString &repository, const QString &tag,
                                                    const QList<TestLayer> &layers, const QJsonObject &config,
                                                    ManifestFormat format, const QString &architecture)
{
    QList<BuiltLayer> built;
    for (const TestLayer &layer : layers)
        built << buildLayer(layer, format);
    return pushBuiltImage(repository, tag, built, config, format, architecture);
}

std::optional<PushedImage> LocalRegistry::pushBuiltImage(const QString &repository, const QString &tag,
                                                         const QList<BuiltLayer> &layers, const QJsonObject &config,
                                                         ManifestFormat format, const QString &architecture)
{
    PushedImage pushed;
    QJsonArray layerDescriptors;
    QJsonArray diffIds;
    for (const BuiltLayer &layer : layers) {
        if (!pushBlob(repository, layer.blob, layer.digest))
            return std::nullopt;
        layerDescriptors.append(descriptor(layer.mediaType, layer.digest, layer.blob.size()));
        diffIds.append(layer.diffId);
        pushed.layerDigests << layer.digest;
        pushed.diffIds << layer.diffId;
    }
    QJsonObject imageConfig {
        {QStringLiteral("architecture"), architecture},
        {QStringLiteral("os"), QStringLiteral("linux")},
        {QStringLiteral("config"), config},
        {QStringLiteral("rootfs"),
         QJsonObject {{QStringLiteral("type"), QStringLiteral("layers")}, {QStringLiteral("diff_ids"), diffIds}}},
    };
    const QByteArray configBlob = QJsonDocument(imageConfig).toJson(QJsonDocument::Compact);
    pushed.configDigest = sha256Digest(configBlob);
    if (!pushBlob(repository, configBlob, pushed.configDigest))
        return std::nullopt;
    const bool oci = format == ManifestFormat::Oci;
    pushed.manifestMediaType = oci ? kOciManifest : kDockerManifest;
    const QJsonObject manifest {
        {QStringLiteral("schemaVersion"), 2},
        {QStringLiteral("mediaType"), pushed.manifestMediaType},
        {QStringLiteral("config"),
         descriptor(oci ? kOciConfig : kDockerConfig, pushed.configDigest, configBlob.size())},
        {QStringLiteral("layers"), layerDescriptors},
    };
    const QByteArray manifestBlob = QJsonDocument(manifest).toJson(QJsonDocument::Compact);
    pushed.manifestDigest = sha256Digest(manifestBlob);
    pushed.manifestSize = manifestBlob.size();
    if (!putManifest(repository, tag, manifestBlob, pushed.manifestMediaType))
        return std::nullopt;
    return pushed;
}

std::optional<QString> LocalRegistry::pushIndex(const QString &repository, const QString &tag,
                                                const QList<IndexEntry> &entries, ManifestFormat format)
{
    QJsonArray manifests;
    for (const IndexEntry &entry : entries) {
        QJsonObject item
            = descriptor(entry.image.manifestMediaType, entry.image.manifestDigest, entry.image.manifestSize);
        item.insert(QStringLiteral("platform"),
                    QJsonObject {{QStringLiteral("architecture"), entry.architecture},
                                 {QStringLiteral("os"), QStringLiteral("linux")}});
        manifests.append(item);
    }
    const QString mediaType = format == ManifestFormat::Oci ? kOciIndex : kDockerList;
    const QJsonObject index {{QStringLiteral("schemaVersion"), 2},
                             {QStringLiteral("mediaType"), mediaType},
                             {QStringLiteral("manifests"), manifests}};
    const QByteArray body = QJsonDocument(index).toJson(QJsonDocument::Compact);
    if (!putManifest(repository, tag, body, mediaType))
        return std::nullopt;
    return sha256Digest(body);
}

} // namespace Hamlet::Test
