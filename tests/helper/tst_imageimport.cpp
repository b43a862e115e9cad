// ImportImage, ListImages and RemoveImage through the whole stack: the real bus, polkitd, the real
// helper (started with a small --max-layer-bytes so the bomb test is fast) and runc. Archives
// are made by the test: a busybox rootfs it builds, turned into docker-archive and oci-archive
// files by skopeo from an OCI layout the test writes.
#include "clienttest.h"
#include "tarbuilder.h"
#include "testsystem.h"

#include <QCryptographicHash>
#include <QDBusMessage>
#include <QDBusReply>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <QCoro/QCoroTask>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {

constexpr qulonglong LayerCap = 8 * 1024 * 1024;

QString sha256(const QByteArray &data)
{
    return QStringLiteral("sha256:")
        + QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

bool writeFile(const QString &path, const QByteArray &data, QFile::Permissions permissions = {})
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size())
        return false;
    file.close();
    return permissions == QFile::Permissions {} || file.setPermissions(permissions);
}

// A root file system with the host's static busybox as /bin/busybox and /bin/sh.
QByteArray busyboxRootfs(TarCompression compression = TarCompression::None)
{
    QFile busybox(QStringLiteral("/bin/busybox"));
    busybox.open(QIODevice::ReadOnly);
    return makeTar({{"bin", AE_IFDIR, {}, {}, false, 0755},
                    {"bin/busybox", AE_IFREG, busybox.readAll(), {}, false, 0755},
                    {"bin/sh", AE_IFLNK, {}, "busybox", false, 0777},
                    {"tmp", AE_IFDIR, {}, {}, false, 01777}},
                   compression);
}

// An OCI image layout with one image (tag "v1") whose single layer is the busybox rootfs.
bool writeOciLayout(const QString &dir)
{
    if (!QDir().mkpath(dir + QStringLiteral("/blobs/sha256")))
        return false;
    auto put = [&dir](const QByteArray &data) {
        const QString digest = sha256(data);
        writeFile(dir + QStringLiteral("/blobs/sha256/") + digest.mid(7), data);
        return digest;
    };
    const QByteArray layer = busyboxRootfs();
    const QString layerDigest = put(layer);
    const QByteArray config
        = QJsonDocument(QJsonObject {
                            {QStringLiteral("architecture"), QStringLiteral("amd64")},
                            {QStringLiteral("os"), QStringLiteral("linux")},
                            {QStringLiteral("created"), QStringLiteral("2023-05-06T07:08:09Z")},
                            {QStringLiteral("config"),
                             QJsonObject {{QStringLiteral("Cmd"), QJsonArray {QStringLiteral("/bin/sh")}}}},
                            {QStringLiteral("rootfs"),
                             QJsonObject {{QStringLiteral("type"), QStringLiteral("layers")},
                                          {QStringLiteral("diff_ids"), QJsonArray {layerDigest}}}},
                        })
              .toJson(QJsonDocument::Compact);
    const QString configDigest = put(config);
    const QByteArray manifest
        = QJsonDocument(QJsonObject {
                            {QStringLiteral("schemaVersion"), 2},
                            {QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.manifest.v1+json")},
                            {QStringLiteral("config"),
                             QJsonObject {{QStringLiteral("mediaType"),
                                           QStringLiteral("application/vnd.oci.image.config.v1+json")},
                                          {QStringLiteral("digest"), configDigest},
                                          {QStringLiteral("size"), config.size()}}},
                            {QStringLiteral("layers"),
                             QJsonArray {QJsonObject {{QStringLiteral("mediaType"),
                                                       QStringLiteral("application/vnd.oci.image.layer.v1.tar")},
                                                      {QStringLiteral("digest"), layerDigest},
                                                      {QStringLiteral("size"), layer.size()}}}},
                        })
              .toJson(QJsonDocument::Compact);
    const QString manifestDigest = put(manifest);
    const QJsonObject index {
        {QStringLiteral("schemaVersion"), 2},
        {QStringLiteral("manifests"),
         QJsonArray {QJsonObject {
             {QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.manifest.v1+json")},
             {QStringLiteral("digest"), manifestDigest},
             {QStringLiteral("size"), manifest.size()},
             {QStringLiteral("annotations"),
              QJsonObject {{QStringLiteral("org.opencontainers.image.ref.name"), QStringLiteral("v1")}}}}}},
    };
    return writeFile(dir + QStringLiteral("/oci-layout"), R"({"imageLayoutVersion":"1.0.0"})")
        && writeFile(dir + QStringLiteral("/index.json"), QJsonDocument(index).toJson());
}

QString skopeoCopy(const QString &from, const QString &to)
{
    QProcess skopeo;
    skopeo.start(QStringLiteral("skopeo"), {QStringLiteral("--insecure-policy"), QStringLiteral("copy"), from, to});
    if (!skopeo.waitForFinished(60000) || skopeo.exitCode() != 0)
        return QStringLiteral("skopeo copy %1 %2 failed: %3")
            .arg(from, to, QString::fromUtf8(skopeo.readAllStandardError()));
    return {};
}

} // namespace

class TestImageImport : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;
    QTemporaryDir m_dir;
    QString m_canary;

    QString imagesDir() const { return m_system.stateDir() + QStringLiteral("/images"); }

    // Starts an import of the file and waits for its job; "" when it worked, else "Name: message".
    QString importFile(const QString &path, const QString &format, const QVariantMap &options,
                       QString *jobPath = nullptr)
    {
        const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return QStringLiteral("cannot open ") + path;
        const QString result = importFd(fd, format, options, jobPath);
        ::close(fd);
        return result;
    }

    QString importFd(int fd, const QString &format, const QVariantMap &options, QString *jobPath = nullptr)
    {
        const auto job = QCoro::waitFor(m_client->importImage(fd, format, options));
        if (const auto *error = std::get_if<ClientError>(&job))
            return error->name + QStringLiteral(": ") + error->message;
        if (jobPath)
            *jobPath = std::get<QString>(job);
        const auto done = QCoro::waitFor(m_client->waitForJob(std::get<QString>(job)));
        if (const auto *error = std::get_if<ClientError>(&done))
            return error->name + QStringLiteral(": ") + error->message;
        return {};
    }

    QString archiveFile(const QString &name, const QByteArray &data)
    {
        const QString path = m_dir.filePath(name);
        writeFile(path, data, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
        return path;
    }

    QVariantMap jobProperties(const QString &path)
    {
        QDBusMessage getAll = QDBusMessage::createMethodCall(QStringLiteral("dev.hamlet.Helper1"), path,
                                                             QStringLiteral("org.freedesktop.DBus.Properties"),
                                                             QStringLiteral("GetAll"));
        getAll << QStringLiteral("dev.hamlet.Job1");
        const QDBusReply<QVariantMap> reply = m_client->bus().call(getAll);
        return reply.isValid() ? reply.value() : QVariantMap();
    }

    std::optional<QVariantMap> listed(const QString &name)
    {
        const auto images = QCoro::waitFor(m_client->listImages());
        if (!std::holds_alternative<VariantMapList>(images))
            return std::nullopt;
        for (const QVariantMap &image : std::get<VariantMapList>(images)) {
            if (image.value(QStringLiteral("name")).toString() == name)
                return image;
        }
        return std::nullopt;
    }

    // Everything in the store but index.json's changing bytes: blobs, layers, temporary files.
    QStringList storeFiles()
    {
        QStringList files;
        for (const QString &sub :
             {QStringLiteral("/blobs/sha256"), QStringLiteral("/layers"), QStringLiteral("/tmp")}) {
            for (const QString &entry :
                 QDir(imagesDir() + sub).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System))
                files << sub + QLatin1Char('/') + entry;
        }
        return files;
    }

    // Creates a container of the image running sleep, checks it runs, and deletes it.
    QString runsAContainer(const QString &image, const QString &container)
    {
        const QVariantMap spec {
            {QStringLiteral("image"), image},
            {QStringLiteral("command"),
             QStringList {QStringLiteral("/bin/busybox"), QStringLiteral("sleep"), QStringLiteral("600")}}};
        if (const QString failure = createAndWait(*m_client, QStringLiteral("container"), container, spec);
            !failure.isEmpty())
            return failure;
        const QString state = instanceState(*m_client, container);
        if (state != QStringLiteral("running"))
            return QStringLiteral("container of %1 is %2").arg(image, state);
        return {};
    }

    void deleteContainer(const QString &name)
    {
        QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete")));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY(m_dir.isValid());
        QVERIFY(QFile::setPermissions(m_dir.path(),
                                      QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadOther
                                          | QFile::ExeOther | QFile::ReadGroup | QFile::ExeGroup));
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper({QStringLiteral("--max-layer-bytes"), QString::number(LayerCap)}),
                 qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        QVERIFY(writeOciLayout(m_dir.filePath(QStringLiteral("layout"))));
        m_canary = m_dir.filePath(QStringLiteral("canary"));
        QVERIFY(writeFile(m_canary, "canary\n"));
    }

    void rootfs_importedImageRunsAndIsListedWithEveryKey()
    {
        QSignalSpy changed(m_client.get(), &HelperClient::imagesChanged);
        const QByteArray archive = busyboxRootfs(TarCompression::Gzip);
        const QString path = archiveFile(QStringLiteral("rootfs.tar.gz"), archive);
        QString job;
        QCOMPARE(importFile(path, QStringLiteral("rootfs"),
                            {{QStringLiteral("name"), QStringLiteral("bb-rootfs:1")},
                             {QStringLiteral("command"), QStringList {QStringLiteral("/bin/sh")}}},
                            &job),
                 QString());
        QTRY_VERIFY(changed.size() >= 1);
        const QVariantMap properties = jobProperties(job);
        QCOMPARE(properties.value(QStringLiteral("Operation")).toString(), QStringLiteral("import-image"));
        QCOMPARE(properties.value(QStringLiteral("BytesTotal")).toULongLong(), qulonglong(archive.size()));
        QCOMPARE(properties.value(QStringLiteral("BytesDone")).toULongLong(), qulonglong(archive.size()));
        QCOMPARE(properties.value(QStringLiteral("Progress")).toDouble(), 1.0);

        const auto image = listed(QStringLiteral("bb-rootfs:1"));
        QVERIFY(image);
        for (const char *key : {"name", "digest", "size", "layers", "created", "pulledAt", "source", "usedBy"})
            QVERIFY2(image->contains(QLatin1String(key)), key);
        QCOMPARE(image->value(QStringLiteral("source")).toString(), QStringLiteral("archive"));
        QCOMPARE(image->value(QStringLiteral("layers")).toUInt(), 1u);
        QCOMPARE(image->value(QStringLiteral("size")).toULongLong(), qulonglong(archive.size()));
        QVERIFY(qAbs(image->value(QStringLiteral("pulledAt")).toLongLong() - QDateTime::currentSecsSinceEpoch()) < 60);
        QVERIFY(image->value(QStringLiteral("created")).toLongLong() > 0);

        QCOMPARE(runsAContainer(QStringLiteral("bb-rootfs:1"), QStringLiteral("from-rootfs")), QString());
        QCOMPARE(listed(QStringLiteral("bb-rootfs:1"))->value(QStringLiteral("usedBy")).toStringList(),
                 QStringList {QStringLiteral("from-rootfs")});
    }

    void removeImage_isBusyWhileUsedThenFreesOnlyWhatNoOtherImageShares()
    {
        // A second image with the very same layer (the same tarball, another config).
        const QString path = m_dir.filePath(QStringLiteral("rootfs.tar.gz"));
        QCOMPARE(importFile(path, QStringLiteral("rootfs"),
                            {{QStringLiteral("name"), QStringLiteral("bb-twin")},
                             {QStringLiteral("workdir"), QStringLiteral("/tmp")}}),
                 QString());
        const auto image = listed(QStringLiteral("bb-rootfs:1"));
        QVERIFY(image);
        QVERIFY(listed(QStringLiteral("bb-twin"))->value(QStringLiteral("digest"))
                != image->value(QStringLiteral("digest")));

        const auto busy = QCoro::waitFor(m_client->removeImage(QStringLiteral("bb-rootfs:1")));
        QCOMPARE(errorName(busy), QStringLiteral("dev.hamlet.Error.Busy"));
        QVERIFY(std::get<ClientError>(busy).message.contains(QStringLiteral("from-rootfs")));
        QCOMPARE(errorName(QCoro::waitFor(m_client->removeImage(QStringLiteral("no-such-image")))),
                 QStringLiteral("dev.hamlet.Error.NotFound"));

        deleteContainer(QStringLiteral("from-rootfs"));
        const QStringList layers
            = QDir(imagesDir() + QStringLiteral("/layers")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QSignalSpy changed(m_client.get(), &HelperClient::imagesChanged);
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->removeImage(QStringLiteral("bb-rootfs:1")))));
        QTRY_COMPARE(changed.size(), 1);
        QVERIFY(!listed(QStringLiteral("bb-rootfs:1")));
        // The shared layer stays for the twin; only the first image's manifest and config go.
        QCOMPARE(QDir(imagesDir() + QStringLiteral("/layers")).entryList(QDir::Dirs | QDir::NoDotAndDotDot), layers);
        QVERIFY(!QFile::exists(imagesDir() + QStringLiteral("/blobs/sha256/")
                               + image->value(QStringLiteral("digest")).toString().mid(7)));
        QCOMPARE(runsAContainer(QStringLiteral("bb-twin"), QStringLiteral("twin")), QString());
        deleteContainer(QStringLiteral("twin"));
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->removeImage(QStringLiteral("bb-twin")))));
        QVERIFY(QDir(imagesDir() + QStringLiteral("/layers")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size()
                < layers.size());
    }

    void dockerArchive_fromSkopeo_importsUnderItsTagAndRuns()
    {
        const QString archive = m_dir.filePath(QStringLiteral("docker.tar"));
        QCOMPARE(skopeoCopy(QStringLiteral("oci:") + m_dir.filePath(QStringLiteral("layout")) + QStringLiteral(":v1"),
                            QStringLiteral("docker-archive:") + archive + QStringLiteral(":example.org/tools/bb:v1")),
                 QString());
        QString job;
        QCOMPARE(importFile(archive, QStringLiteral("docker-archive"), {}, &job), QString());
        const auto image = listed(QStringLiteral("example.org/tools/bb:v1"));
        QVERIFY(image);
        QCOMPARE(QDateTime::fromSecsSinceEpoch(image->value(QStringLiteral("created")).toLongLong(), Qt::UTC),
                 QDateTime(QDate(2023, 5, 6), QTime(7, 8, 9), Qt::UTC));
        const VariantMapList layers = qdbus_cast<VariantMapList>(jobProperties(job).value(QStringLiteral("Layers")));
        QCOMPARE(layers.size(), 1);
        QCOMPARE(layers.first().value(QStringLiteral("state")).toString(), QStringLiteral("done"));
        QCOMPARE(runsAContainer(QStringLiteral("example.org/tools/bb:v1"), QStringLiteral("from-docker")), QString());
        deleteContainer(QStringLiteral("from-docker"));
    }

    void ociArchive_fromSkopeo_importsAndRuns()
    {
        const QString archive = m_dir.filePath(QStringLiteral("oci.tar"));
        QCOMPARE(skopeoCopy(QStringLiteral("oci:") + m_dir.filePath(QStringLiteral("layout")) + QStringLiteral(":v1"),
                            QStringLiteral("oci-archive:") + archive + QStringLiteral(":v1")),
                 QString());
        QCOMPARE(
            importFile(archive, QStringLiteral("oci-archive"), {{QStringLiteral("name"), QStringLiteral("bb-oci")}}),
            QString());
        QVERIFY(listed(QStringLiteral("bb-oci")));
        QCOMPARE(runsAContainer(QStringLiteral("bb-oci"), QStringLiteral("from-oci")), QString());
        deleteContainer(QStringLiteral("from-oci"));
    }

    void rootfs_throughAPipe_hasNoTotalButImports()
    {
        const QByteArray archive = busyboxRootfs(TarCompression::Zstd);
        int fds[2];
        QCOMPARE(::pipe2(fds, O_CLOEXEC), 0);
        std::thread writer([&] {
            qsizetype written = 0;
            while (written < archive.size()) {
                const ssize_t n = ::write(fds[1], archive.constData() + written, archive.size() - written);
                if (n <= 0)
                    break;
                written += n;
            }
            ::close(fds[1]);
        });
        QString job;
        const QString result
            = importFd(fds[0], QStringLiteral("rootfs"), {{QStringLiteral("name"), QStringLiteral("bb-piped")}}, &job);
        ::close(fds[0]);
        writer.join();
        QCOMPARE(result, QString());
        QCOMPARE(jobProperties(job).value(QStringLiteral("BytesTotal")).toULongLong(), 0ull);
        QCOMPARE(jobProperties(job).value(QStringLiteral("BytesDone")).toULongLong(), qulonglong(archive.size()));
        QVERIFY(listed(QStringLiteral("bb-piped")));
    }

    void badRequests_areRefusedAtOnceWithoutAJob()
    {
        const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        for (const auto &[format, options] :
             {std::pair {QStringLiteral("tarball"), QVariantMap {}},
              std::pair {QStringLiteral("rootfs"), QVariantMap {}},
              std::pair {QStringLiteral("rootfs"), QVariantMap {{QStringLiteral("name"), QStringLiteral("../x")}}}}) {
            const auto job = QCoro::waitFor(m_client->importImage(fd, format, options));
            QCOMPARE(errorName(job), QStringLiteral("dev.hamlet.Error.InvalidArgument"));
        }
        ::close(fd);
    }

    void brokenArchives_failTheJobAndLeaveNothing_data()
    {
        QTest::addColumn<QByteArray>("archive");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("garbage docker archive") << QByteArray(50000, 'x') << "docker-archive"
                                                << "not a readable tar";
        const QByteArray docker = readFile(m_dir.filePath(QStringLiteral("docker.tar")));
        QTest::newRow("truncated docker archive") << docker.left(docker.size() / 2) << "docker-archive"
                                                  << "damaged";
        const QByteArray gz = busyboxRootfs(TarCompression::Gzip);
        QTest::newRow("truncated gzip rootfs") << gz.left(gz.size() * 2 / 3) << "rootfs"
                                               << "damaged";
        QTest::newRow("decompression bomb rootfs")
            << makeTar({{"zeros", AE_IFREG, QByteArray(3 * LayerCap, '\0')}}, TarCompression::Gzip) << "rootfs"
            << "more than";
    }

    void brokenArchives_failTheJobAndLeaveNothing()
    {
        QFETCH(QByteArray, archive);
        QFETCH(QString, format);
        QFETCH(QString, mentions);
        const QStringList before = storeFiles();
        const QString result = importFile(archiveFile(QStringLiteral("broken"), archive), format,
                                          {{QStringLiteral("name"), QStringLiteral("broken")}});
        QVERIFY2(result.startsWith(QStringLiteral("dev.hamlet.Error.InvalidArgument")), qPrintable(result));
        QVERIFY2(result.contains(mentions), qPrintable(result));
        QCOMPARE(storeFiles(), before);
        QVERIFY(!listed(QStringLiteral("broken")));
    }

    void hostileRootfs_writesNothingOutsideTheStore_data()
    {
        QTest::addColumn<QByteArray>("archive");
        QTest::addColumn<bool>("refused");
        const QByteArray canary = QFile::encodeName(m_canary);
        QTest::newRow("absolute path onto the canary (lands in the layer)")
            << makeTar({{canary, AE_IFREG, "pwned\n"}}) << false;
        QTest::newRow("dot-dot onto the canary")
            << makeTar({{"../../../../../../../.." + canary, AE_IFREG, "pwned\n"}}) << true;
        QTest::newRow("symlink to / then a file through it")
            << makeTar({{"root", AE_IFLNK, {}, "/"}, {"root" + canary, AE_IFREG, "pwned\n"}}) << true;
        QTest::newRow("hardlink to the canary") << makeTar({{"link", AE_IFREG, {}, canary, true}}) << true;
        QTest::newRow("dir, then a symlink of the same name, then a file through it")
            << makeTar({{"d", AE_IFDIR, {}, {}, false, 0755},
                        {"d", AE_IFLNK, {}, QFileInfo(m_canary).absolutePath().toUtf8()},
                        {"d/canary", AE_IFREG, "pwned\n"}})
            << true;
        QTest::newRow("device node (skipped)") << makeTar({{"dev/sda", AE_IFBLK}, {"ok", AE_IFREG, "x"}}) << false;
    }

    void hostileRootfs_writesNothingOutsideTheStore()
    {
        QFETCH(QByteArray, archive);
        QFETCH(bool, refused);
        struct stat before {
        };
        QCOMPARE(::stat(QFile::encodeName(m_canary).constData(), &before), 0);
        const QStringList filesBefore = storeFiles();
        const QString result = importFile(archiveFile(QStringLiteral("hostile"), archive), QStringLiteral("rootfs"),
                                          {{QStringLiteral("name"), QStringLiteral("hostile")}});
        QCOMPARE(readFile(m_canary), QByteArray("canary\n"));
        struct stat after {
        };
        QCOMPARE(::stat(QFile::encodeName(m_canary).constData(), &after), 0);
        QCOMPARE(after.st_nlink, before.st_nlink);
        QCOMPARE(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
        if (refused) {
            QVERIFY2(!result.isEmpty(), "the hostile archive was imported");
            QCOMPARE(storeFiles(), filesBefore);
        } else {
            QCOMPARE(result, QString());
            QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->removeImage(QStringLiteral("hostile")))));
        }
        QVERIFY(!QFile::exists(QStringLiteral("/dev/sda-hamlet-test")));
    }

    void hamletctl_importsListsAndRemoves_andADeniedUserImportsNothing()
    {
        const QString path = m_dir.filePath(QStringLiteral("rootfs.tar.gz"));
        const Run denied
            = m_system.run(TestSystem::DeniedUser, TestSystem::ctlProgram(),
                           {QStringLiteral("import"), path, QStringLiteral("rootfs"), QStringLiteral("name=denied")});
        QVERIFY2(denied.finished && denied.exitCode == 1, denied.err.constData());
        QVERIFY2(denied.err.contains("dev.hamlet.Error.NotAuthorized"), denied.err.constData());
        QVERIFY(!listed(QStringLiteral("denied")));

        const Run imported
            = m_system.run(QString(), TestSystem::ctlProgram(),
                           {QStringLiteral("import"), path, QStringLiteral("rootfs"), QStringLiteral("name=ctl-root"),
                            QStringLiteral("command=/bin/busybox sleep 5")});
        QVERIFY2(imported.exitCode == 0, imported.err.constData());
        QVERIFY2(imported.out.contains("done"), imported.out.constData());
        QVERIFY2(imported.out.contains("progress: 100%"), imported.out.constData());
        const Run images = m_system.run(QString(), TestSystem::ctlProgram(), {QStringLiteral("images")});
        QVERIFY2(images.out.contains("ctl-root\t"), images.out.constData());
        QVERIFY2(images.out.contains("\tarchive\t"), images.out.constData());
        const Run removed
            = m_system.run(QString(), TestSystem::ctlProgram(), {QStringLiteral("rmi"), QStringLiteral("ctl-root")});
        QCOMPARE(removed.exitCode, 0);
        const Run again
            = m_system.run(QString(), TestSystem::ctlProgram(), {QStringLiteral("rmi"), QStringLiteral("ctl-root")});
        QCOMPARE(again.exitCode, 1);
        QVERIFY(again.err.contains("dev.hamlet.Error.NotFound"));
    }

    void cleanupTestCase()
    {
        if (QTest::currentTestFailed())
            qWarning("%s", qPrintable(m_system.helperLog().right(4000)));
    }
};

QTEST_GUILESS_MAIN(TestImageImport)
#include "tst_imageimport.moc"
