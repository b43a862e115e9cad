#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>
#include <optional>

namespace Hamlet::Test {

// One entry of a test layer. A whiteout is a plain empty file named ".wh.NAME", as in real layers.
struct LayerFile {
    enum Kind { File, Directory, Symlink };
    QByteArray path; // relative, e.g. "etc/motd"
    QByteArray content; // File: the bytes; Symlink: the target
    Kind kind = File;
    int mode = 0644;

    static LayerFile file(QByteArray path, QByteArray content, int mode = 0644)
    {
        return {std::move(path), std::move(content), File, mode};
    }
    static LayerFile directory(QByteArray path) { return {std::move(path), {}, Directory, 0755}; }
    static LayerFile symlink(QByteArray path, QByteArray target)
    {
        return {std::move(path), std::move(target), Symlink, 0777};
    }
    static LayerFile whiteout(const QByteArray &dir, const QByteArray &name)
    {
        return file(dir + "/.wh." + name, {}, 0644);
    }
};

enum class Compression { None, Gzip, Zstd };

struct TestLayer {
    QList<LayerFile> files;
    Compression compression = Compression::Gzip;
};

// A layer as pushed: its blob, its digest and its uncompressed digest (the config's diff id).
struct BuiltLayer {
    QByteArray blob;
    QString digest;
    QString diffId;
    QString mediaType;
};

enum class ManifestFormat { Oci, DockerV2 };

// What a push made, to check the pull against.
struct PushedImage {
    QString manifestDigest;
    qint64 manifestSize = 0;
    QString manifestMediaType;
    QString configDigest;
    QStringList layerDigests;
    QStringList diffIds;
};

// The files of a layer that make a runnable image from the host's static busybox
// (/bin/busybox, from busybox-static): bin/busybox, bin/sh, and the directories runc expects.
QList<LayerFile> busyboxFiles();

// Builds a tar layer (pax, root-owned, fixed mtime) with the given compression.
BuiltLayer buildLayer(const TestLayer &layer, ManifestFormat format = ManifestFormat::Oci);

// "sha256:" + hex.
QString sha256Digest(const QByteArray &data);

// A docker-registry (Debian package docker-registry, the reference "distribution" registry) on a
// free loopback port, with its storage (filesystem driver) and access log in a temporary
// directory. Images are pushed with the distribution API directly (blob uploads + manifest
// PUTs), so a test controls every byte: media types, compression, indexes. stop() and the
// destructor end the process; it also dies with the test process.
//
// Token auth: startWithTokenAuth() configures `auth: token` with the given realm and a root
// certificate; see TokenIssuer for a matching issuer. Push before switching to token auth
// (stop(), then start again on the same storage).
class LocalRegistry
{
public:
    LocalRegistry();
    ~LocalRegistry();
    LocalRegistry(const LocalRegistry &) = delete;
    LocalRegistry &operator=(const LocalRegistry &) = delete;

    struct TokenAuth {
        QString realm; // e.g. http://127.0.0.1:PORT/token
        QString service;
        QString issuer;
        QString rootCertBundle; // PEM path
    };

    // Starts on a free loopback port (the same port again after a stop()); false with error().
    bool start();
    bool startWithTokenAuth(const TokenAuth &auth);
    // Basic auth (htpasswd, bcrypt via apache2-utils' htpasswd).
    bool startWithBasicAuth(const QString &user, const QString &password);
    void stop();
    bool running() const;

    QString hostPort() const; // "127.0.0.1:PORT"
    quint16 port() const { return m_port; }
    QString storageDir() const { return m_dir.path() + QStringLiteral("/storage"); }
    QString error() const { return m_error; }

    // The access log so far (one line per request, combined log format).
    QByteArray accessLog() const;
    // GET requests of blobs (not manifests) in the access log so far.
    int blobDownloads() const;

    // Pushes the config and layers, then the manifest under repository:tag. Empty on failure
    // (error() says why). config: the image config's "config" object (Cmd, Env, ...).
    std::optional<PushedImage> pushImage(const QString &repository, const QString &tag, const QList<TestLayer> &layers,
                                         const QJsonObject &config = {}, ManifestFormat format = ManifestFormat::Oci,
                                         const QString &architecture = QStringLiteral("amd64"));
    // Pushes built layers (for large or shared layers built once).
    std::optional<PushedImage> pushBuiltImage(const QString &repository, const QString &tag,
                                              const QList<BuiltLayer> &layers, const QJsonObject &config = {},
                                              ManifestFormat format = ManifestFormat::Oci,
                                              const QString &architecture = QStringLiteral("amd64"));
    struct IndexEntry {
        PushedImage image;
        QString architecture;
    };
    // Pushes an OCI index (or a Docker manifest list) of manifests already pushed to repository.
    std::optional<QString> pushIndex(const QString &repository, const QString &tag, const QList<IndexEntry> &entries,
                                     ManifestFormat format = ManifestFormat::Oci);

    // Where the registry keeps a blob's bytes (filesystem driver).
    QString blobDataPath(const QString &digest) const;
    // Changes one byte of a stored blob, keeping its size: the registry then serves content that
    // does not match its digest.
    bool tamperBlob(const QString &digest);

private:
    bool startProcess(const QString &authSection);
    bool pushBlob(const QString &repository, const QByteArray &data, const QString &digest);
    bool putManifest(const QString &repository, const QString &reference, const QByteArray &body,
                     const QString &mediaType);

    QTemporaryDir m_dir;
    quint16 m_port = 0;
    QString m_error;
    std::unique_ptr<QProcess> m_process;
};

// A TCP proxy on a free port that forwards to a loopback target port and slows the answers down
// to bytesPerSecond, so that a pull through it lasts long enough to watch or cancel. Listening
// on a non-loopback address, it makes a loopback registry look remote (where HTTPS is required).
class ThrottledProxy
{
public:
    ThrottledProxy(quint16 targetPort, qint64 bytesPerSecond, QString listenAddress = QStringLiteral("127.0.0.1"));
    ~ThrottledProxy();
    ThrottledProxy(const ThrottledProxy &) = delete;
    ThrottledProxy &operator=(const ThrottledProxy &) = delete;

    bool start();
    QString hostPort() const; // "ADDRESS:PORT"

private:
    QString m_address;
    class Server;
    std::unique_ptr<Server> m_server;
};

// A minimal token issuer for registry token auth (docker's token spec): an HTTP server on a
// loopback port that accepts Basic credentials user:password and answers {"token": JWT}, a JWT
// signed (RS256, with the certificate in the x5c header) by a self-signed key made with openssl.
// Wrong credentials get 401 {"details": "..."}; it counts the token requests it served.
class TokenIssuer
{
public:
    TokenIssuer(QString user, QString password);
    ~TokenIssuer();
    TokenIssuer(const TokenIssuer &) = delete;
    TokenIssuer &operator=(const TokenIssuer &) = delete;

    // Makes the key and certificate and listens; false with error().
    bool start();
    LocalRegistry::TokenAuth auth() const;
    int requests() const;
    QString error() const;

private:
    class Server;
    std::unique_ptr<Server> m_server;
};

} // namespace Hamlet::Test
