// ArchiveImporter over archives the test builds: docker save and OCI layouts and rootfs
// tarballs, good and hostile. Every refused archive must leave the store exactly as it was.
#include "archiveimporter.h"
#include "busyboximage.h"
#include "tarbuilder.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <thread>
#include <unistd.h>

using namespace Hamlet::Containers;
using Hamlet::Test::makeTar;
using Hamlet::Test::TarCompression;
using Hamlet::Test::TarMember;

namespace {

QString hexOf(const QString &digest)
{
    return digest.mid(7);
}

QByteArray json(const QJsonValue &value)
{
    return value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)
                           : QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
}

QByteArray helloLayer(const QByteArray &greeting = "hi\n")
{
    return makeTar({{"bin", AE_IFDIR, {}, {}, false, 0755}, {"bin/hello", AE_IFREG, greeting, {}, false, 0755}});
}

QJsonObject configFor(const QStringList &diffIds)
{
    return QJsonObject {
        {QStringLiteral("architecture"), QStringLiteral("amd64")},
        {QStringLiteral("os"), QStringLiteral("linux")},
        {QStringLiteral("created"), QStringLiteral("2024-01-02T03:04:05Z")},
        {QStringLiteral("config"), QJsonObject {{QStringLiteral("Cmd"), QJsonArray {QStringLiteral("/bin/hello")}}}},
        {QStringLiteral("rootfs"),
         QJsonObject {{QStringLiteral("type"), QStringLiteral("layers")},
                      {QStringLiteral("diff_ids"), QJsonArray::fromStringList(diffIds)}}},
    };
}

// A docker save archive the way docker and skopeo write it: layers as HEX.tar with a legacy
// ID/layer.tar symlink to each, which is the name manifest.json uses.
struct DockerArchive {
    QList<QByteArray> layers {helloLayer()};
    QStringList repoTags {QStringLiteral("alpine:3")};
    QStringList layerNames; // default: the symlinks
    QJsonObject config; // default: configFor(the layers' digests)
    QByteArray manifestOverride;
    bool withManifest = true;

    QByteArray build() const
    {
        QList<TarMember> members;
        QStringList names;
        QStringList diffIds;
        for (const QByteArray &layer : layers) {
            const QString hex = hexOf(ImageStore::digestOf(layer));
            members << TarMember {hex.toUtf8() + ".tar", AE_IFREG, layer};
            members << TarMember {"legacy" + hex.left(8).toUtf8(), AE_IFDIR, {}, {}, false, 0755};
            members << TarMember {
                "legacy" + hex.left(8).toUtf8() + "/layer.tar", AE_IFLNK, {}, "../" + hex.toUtf8() + ".tar"};
            names << QStringLiteral("legacy%1/layer.tar").arg(hex.left(8));
            diffIds << ImageStore::digestOf(layer);
        }
        const QByteArray configData = json(config.isEmpty() ? configFor(diffIds) : config);
        const QString configName = hexOf(ImageStore::digestOf(configData)) + QStringLiteral(".json");
        members << TarMember {configName.toUtf8(), AE_IFREG, configData};
        const QJsonArray manifest {QJsonObject {
            {QStringLiteral("Config"), configName},
            {QStringLiteral("RepoTags"), QJsonArray::fromStringList(repoTags)},
            {QStringLiteral("Layers"), QJsonArray::fromStringList(layerNames.isEmpty() ? names : layerNames)},
        }};
        if (withManifest)
            members << TarMember {"manifest.json", AE_IFREG,
                                  manifestOverride.isEmpty() ? json(manifest) : manifestOverride};
        return makeTar(members);
    }
};

// A tar of an OCI image layout holding one image.
struct OciArchive {
    QList<QByteArray> layers {makeTar({{"etc/os-release", AE_IFREG, "ID=oci\n"}}, TarCompression::Gzip)};
    QString refName = QStringLiteral("latest");
    bool corruptLayerBlob = false;
    bool dropConfigBlob = false;

    QByteArray build() const
    {
        QList<TarMember> members {{"oci-layout", AE_IFREG, R"({"imageLayoutVersion":"1.0.0"})"},
                                  {"blobs/sha256", AE_IFDIR, {}, {}, false, 0755}};
        QJsonArray descriptors;
        QStringList diffIds;
        for (const QByteArray &layer : layers) {
            const QString digest = ImageStore::digestOf(layer);
            members << TarMember {"blobs/sha256/" + hexOf(digest).toUtf8(), AE_IFREG,
                                  corruptLayerBlob ? QByteArray(layer).append("tampered") : layer};
            descriptors.append(QJsonObject {
                {QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.layer.v1.tar+gzip")},
                {QStringLiteral("digest"), digest},
                {QStringLiteral("size"), layer.size()}});
            QTemporaryDir scratch; // the diff id: the layer uncompressed
            diffIds << ImageStore::digestOf(gunzip(layer));
        }
        const QByteArray config = json(configFor(diffIds));
        if (!dropConfigBlob)
            members << TarMember {"blobs/sha256/" + hexOf(ImageStore::digestOf(config)).toUtf8(), AE_IFREG, config};
        const QByteArray manifest = json(QJsonObject {
            {QStringLiteral("schemaVersion"), 2},
            {QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.manifest.v1+json")},
            {QStringLiteral("config"),
             QJsonObject {{QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.config.v1+json")},
                          {QStringLiteral("digest"), ImageStore::digestOf(config)},
                          {QStringLiteral("size"), config.size()}}},
            {QStringLiteral("layers"), descriptors},
        });
        members << TarMember {"blobs/sha256/" + hexOf(ImageStore::digestOf(manifest)).toUtf8(), AE_IFREG, manifest};
        members << TarMember {
            "index.json", AE_IFREG,
            json(QJsonObject {
                {QStringLiteral("schemaVersion"), 2},
                {QStringLiteral("manifests"),
                 QJsonArray {QJsonObject {
                     {QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.manifest.v1+json")},
                     {QStringLiteral("digest"), ImageStore::digestOf(manifest)},
                     {QStringLiteral("size"), manifest.size()},
                     {QStringLiteral("annotations"),
                      QJsonObject {{QStringLiteral("org.opencontainers.image.ref.name"), refName}}},
                 }}},
            })};
        return makeTar(members);
    }

    static QByteArray gunzip(const QByteArray &data)
    {
        archive *reader = archive_read_new();
        archive_read_support_filter_all(reader);
        archive_read_support_format_raw(reader);
        archive_read_open_memory(reader, data.constData(), data.size());
        archive_entry *entry = nullptr;
        archive_read_next_header(reader, &entry);
        QByteArray out;
        char buffer[65536];
        la_ssize_t n = 0;
        while ((n = archive_read_data(reader, buffer, sizeof buffer)) > 0)
            out.append(buffer, n);
        archive_read_free(reader);
        return out;
    }
};

// Every file and directory under the store with its size, and index.json: what "nothing
// changed" means.
QStringList snapshot(const ImageStore &store)
{
    QStringList entries;
    QDirIterator it(store.root(), QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        entries << it.filePath().mid(store.root().size()) + QLatin1Char(' ') + QString::number(it.fileInfo().size());
    }
    entries.sort();
    QFile index(store.root() + QStringLiteral("/index.json"));
    index.open(QIODevice::ReadOnly);
    entries << QString::fromUtf8(index.readAll());
    return entries;
}

} // namespace

class TestArchiveImporter : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<ImageStore> m_store;
    int m_counter = 0;

    Result<ImageInfo> import(const QByteArray &archive, const QString &format, const QVariantMap &options = {},
                             ArchiveImporter::Limits limits = {}, ImportProgress *progress = nullptr)
    {
        const auto request = ImportRequest::fromOptions(format, options);
        if (!request)
            return request.error();
        const QString path = m_dir.filePath(QStringLiteral("archive%1").arg(++m_counter));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(archive) != archive.size())
            qFatal("cannot write the test archive");
        file.close();
        QFile input(path);
        input.open(QIODevice::ReadOnly);
        ImportProgress ownProgress;
        ArchiveImporter importer(*m_store, *request, limits, progress ? *progress : ownProgress);
        return importer.run(input.handle());
    }

    static QByteArray readLayerFile(const ImageStore &store, const ImageInfo &image, int layer, const QString &path)
    {
        QFile file(store.layerPath(image.diffIds.at(layer)) + path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_store = std::make_unique<ImageStore>(m_dir.filePath(QStringLiteral("store")));
        QVERIFY(m_store->initialize().ok());
        QVERIFY(BusyboxImage::ensure(*m_store, QStringLiteral("/bin/busybox")).ok());
    }

    void request_refusesBadFormatsNamesAndOptions_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QVariantMap>("options");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unknown format") << "zip" << QVariantMap {} << "unknown archive format";
        QTest::newRow("rootfs without name") << "rootfs" << QVariantMap {} << "needs a \"name\"";
        QTest::newRow("upper-case name") << "rootfs" << QVariantMap {{"name", "Bad"}} << "not a valid image name";
        QTest::newRow("name with ..") << "docker-archive" << QVariantMap {{"name", "../x"}} << "not a valid image name";
        QTest::newRow("name not a string") << "rootfs" << QVariantMap {{"name", 5}} << "must be a string";
        QTest::newRow("empty command") << "rootfs" << QVariantMap {{"name", "r"}, {"command", QStringList {}}}
                                       << "non-empty";
        QTest::newRow("bad env") << "rootfs" << QVariantMap {{"name", "r"}, {"env", QStringList {"=x"}}}
                                 << "NAME=value";
        QTest::newRow("relative workdir") << "rootfs" << QVariantMap {{"name", "r"}, {"workdir", "tmp"}} << "absolute";
        QTest::newRow("command for an image")
            << "oci-archive" << QVariantMap {{"command", QStringList {"/x"}}} << "rootfs imports only";
        QTest::newRow("unknown option") << "rootfs" << QVariantMap {{"name", "r"}, {"colour", "red"}}
                                        << "unknown import option";
    }

    void request_refusesBadFormatsNamesAndOptions()
    {
        QFETCH(QString, format);
        QFETCH(QVariantMap, options);
        QFETCH(QString, mentions);
        const auto request = ImportRequest::fromOptions(format, options);
        QVERIFY(!request.ok());
        QCOMPARE(request.error().name, Hamlet::Error::InvalidArgument);
        QVERIFY2(request.error().message.contains(mentions), qPrintable(request.error().message));
    }

    void rootfs_importsOneLayerWithTheGivenConfig()
    {
        const QByteArray archive
            = makeTar({{"bin/hello", AE_IFREG, "rootfs\n", {}, false, 0755}}, TarCompression::Gzip);
        ImportProgress progress;
        const auto image = import(archive, QStringLiteral("rootfs"),
                                  {{"name", "myroot:1"},
                                   {"command", QStringList {"/bin/hello", "-v"}},
                                   {"env", QStringList {"A=b"}},
                                   {"workdir", "/srv"}},
                                  {}, &progress);
        QVERIFY2(image.ok(), image.ok() ? "" : qPrintable(image.error().message));
        QCOMPARE(image->name, QStringLiteral("myroot:1"));
        QCOMPARE(image->source, ImageSource::Archive);
        QCOMPARE(image->config.cmd, (QStringList {"/bin/hello", "-v"}));
        QCOMPARE(image->config.env, QStringList {"A=b"});
        QCOMPARE(image->config.workingDir, QStringLiteral("/srv"));
        QVERIFY(image->created.isValid());
        QCOMPARE(image->layerDigests.size(), 1);
        QCOMPARE(image->layerDigests.first(), ImageStore::digestOf(archive)); // kept compressed
        QCOMPARE(readLayerFile(*m_store, *image, 0, QStringLiteral("/bin/hello")), QByteArray("rootfs\n"));
        const auto done = progress.snapshot();
        QCOMPARE(done.bytesDone, quint64(archive.size()));
        QCOMPARE(done.layers.size(), 1);
        QCOMPARE(done.layers.first().state, QStringLiteral("done"));
        QVERIFY(QDir(m_store->temporaryDir()).isEmpty());
    }

    void rootfs_xzIsStoredAsAPlainTar()
    {
        const QByteArray tar = makeTar({{"xz-file", AE_IFREG, "xz"}});
        const auto image = import(makeTar({{"xz-file", AE_IFREG, "xz"}}, TarCompression::Xz), QStringLiteral("rootfs"),
                                  {{"name", "xzroot"}});
        QVERIFY2(image.ok(), image.ok() ? "" : qPrintable(image.error().message));
        QCOMPARE(image->layerDigests.first(), ImageStore::digestOf(tar));
        QCOMPARE(image->diffIds.first(), ImageStore::digestOf(tar));
        QCOMPARE(readLayerFile(*m_store, *image, 0, QStringLiteral("/xz-file")), QByteArray("xz"));
    }

    void rootfs_fromAPipe_isReadAsAStream()
    {
        const QByteArray archive = makeTar({{"piped", AE_IFREG, QByteArray(300000, 'p')}}, TarCompression::Zstd);
        int fds[2];
        QCOMPARE(::pipe(fds), 0);
        std::thread writer([&] {
            qsizetype written = 0;
            while (written < archive.size()) {
                const ssize_t n = ::write(fds[1], archive.constData() + written,
                                          std::min<qsizetype>(4096, archive.size() - written));
                if (n <= 0)
                    break;
                written += n;
            }
            ::close(fds[1]);
        });
        ImportProgress progress;
        ArchiveImporter importer(*m_store, *ImportRequest::fromOptions(QStringLiteral("rootfs"), {{"name", "piped"}}),
                                 {}, progress);
        const auto image = importer.run(fds[0]);
        writer.join();
        ::close(fds[0]);
        QVERIFY2(image.ok(), image.ok() ? "" : qPrintable(image.error().message));
        QCOMPARE(progress.snapshot().bytesDone, quint64(archive.size()));
        QCOMPARE(readLayerFile(*m_store, *image, 0, QStringLiteral("/piped")).size(), 300000);
    }

    void dockerArchive_followsLayerSymlinksAndTakesItsNormalisedTag()
    {
        DockerArchive archive;
        archive.layers << makeTar({{"bin/hello", AE_IFREG, "upper\n"}});
        const auto image = import(archive.build(), QStringLiteral("docker-archive"));
        QVERIFY2(image.ok(), image.ok() ? "" : qPrintable(image.error().message));
        QCOMPARE(image->name, QStringLiteral("docker.io/library/alpine:3"));
        QCOMPARE(image->layerDigests.size(), 2);
        QCOMPARE(image->config.cmd, QStringList {"/bin/hello"});
        QCOMPARE(image->created, QDateTime(QDate(2024, 1, 2), QTime(3, 4, 5), Qt::UTC));
        QCOMPARE(readLayerFile(*m_store, *image, 1, QStringLiteral("/bin/hello")), QByteArray("upper\n"));
        QVERIFY(m_store->image(QStringLiteral("docker.io/library/alpine:3")).ok());
    }

    void dockerArchive_withoutTags_isNamedAfterItsDigest()
    {
        DockerArchive archive;
        archive.repoTags.clear();
        archive.layers = {helloLayer("untagged\n")};
        const auto image = import(archive.build(), QStringLiteral("docker-archive"));
        QVERIFY2(image.ok(), image.ok() ? "" : qPrintable(image.error().message));
        QCOMPARE(image->name, QStringLiteral("imported-") + hexOf(image->manifestDigest).left(12));
    }

    void ociArchive_importsWithEveryBlobChecked()
    {
        OciArchive archive;
        const auto image = import(archive.build(), QStringLiteral("oci-archive"), {{"name", "oci-image"}});
        QVERIFY2(image.ok(), image.ok() ? "" : qPrintable(image.error().message));
        QCOMPARE(image->name, QStringLiteral("oci-image"));
        QCOMPARE(readLayerFile(*m_store, *image, 0, QStringLiteral("/etc/os-release")), QByteArray("ID=oci\n"));
        OciArchive named;
        named.layers = {makeTar({{"named", AE_IFREG, "n"}}, TarCompression::Gzip)};
        named.refName = QStringLiteral("quay.io/example/app:2");
        const auto second = import(named.build(), QStringLiteral("oci-archive"));
        QVERIFY2(second.ok(), second.ok() ? "" : qPrintable(second.error().message));
        QCOMPARE(second->name, QStringLiteral("quay.io/example/app:2"));
    }

    void hostileArchive_isRefusedAndLeavesTheStoreAsItWas_data()
    {
        QTest::addColumn<QByteArray>("archive");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("mentions");
        const QByteArray fresh = helloLayer("fresh content that is not yet in the store\n");
        {
            DockerArchive a;
            a.layers = {fresh};
            a.layerNames = {QStringLiteral("../../../etc/passwd")};
            QTest::newRow("docker: layer named with ..") << a.build() << "docker-archive"
                                                         << "not a plain name";
            a.layerNames = {QStringLiteral("/etc/passwd")};
            QTest::newRow("docker: absolute layer name") << a.build() << "docker-archive"
                                                         << "not a plain name";
            a.layerNames = {QStringLiteral("missing/layer.tar")};
            QTest::newRow("docker: missing layer") << a.build() << "docker-archive"
                                                   << "does not hold";
        }
        {
            DockerArchive a;
            a.layers = {fresh};
            a.manifestOverride = "[{\"Config\": ";
            QTest::newRow("docker: bad JSON") << a.build() << "docker-archive"
                                              << "not valid JSON";
            a.manifestOverride.clear();
            a.withManifest = false;
            QTest::newRow("docker: no manifest.json") << a.build() << "docker-archive"
                                                      << "manifest.json";
        }
        {
            DockerArchive a;
            a.layers = {fresh, helloLayer("second fresh layer\n")};
            a.config = configFor({ImageStore::digestOf(fresh), ImageStore::digestOf("not the second layer")});
            QTest::newRow("docker: layer not matching its diff id") << a.build() << "docker-archive"
                                                                    << "does not match the image config";
        }
        {
            OciArchive a;
            a.layers = {makeTar({{"f", AE_IFREG, "fresh oci"}}, TarCompression::Gzip)};
            a.corruptLayerBlob = true;
            QTest::newRow("oci: blob not matching its digest") << a.build() << "oci-archive"
                                                               << "does not match its digest";
            a.corruptLayerBlob = false;
            a.dropConfigBlob = true;
            QTest::newRow("oci: config blob missing") << a.build() << "oci-archive"
                                                      << "does not hold";
            QTest::newRow("oci: a docker archive") << DockerArchive {}.build() << "oci-archive"
                                                   << "oci-layout";
        }
        QTest::newRow("rootfs: entry climbing out with ..")
            << makeTar({{"ok", AE_IFREG, "x"}, {"a/../../escape", AE_IFREG, "x"}}) << "rootfs"
            << "climbs out";
        QTest::newRow("rootfs: symlink to / then a file through it")
            << makeTar({{"evil", AE_IFLNK, {}, "/"}, {"evil/tmp/hamlet-escape", AE_IFREG, "x"}}) << "rootfs"
            << "symlink";
        const QByteArray gz
            = makeTar({{"big", AE_IFREG, QByteArray(200000, 'q')}, {"after", AE_IFREG, "x"}}, TarCompression::Gzip);
        QTest::newRow("rootfs: truncated gzip") << gz.left(gz.size() / 2) << "rootfs"
                                                << "damaged";
        QTest::newRow("rootfs: garbage") << QByteArray(20000, 'g') << "rootfs"
                                         << "Unrecognized archive format";
        QTest::newRow("docker: garbage") << QByteArray(20000, 'g') << "docker-archive"
                                         << "not a readable tar";
        const QByteArray docker = DockerArchive {}.build();
        QTest::newRow("docker: truncated") << docker.left(docker.size() / 3) << "docker-archive"
                                           << "damaged";
        QTest::newRow("rootfs: decompression bomb over the cap")
            << makeTar({{"zeros", AE_IFREG, QByteArray(4 * 1024 * 1024, '\0')}}, TarCompression::Gzip) << "rootfs"
            << "more than";
    }

    void hostileArchive_isRefusedAndLeavesTheStoreAsItWas()
    {
        QFETCH(QByteArray, archive);
        QFETCH(QString, format);
        QFETCH(QString, mentions);
        const QStringList before = snapshot(*m_store);
        ArchiveImporter::Limits limits;
        limits.maxBlobBytes = 1024 * 1024; // the bomb inflates to 4 MiB
        LayerExtractor::Limits layerLimits;
        layerLimits.maxBytes = limits.maxBlobBytes;
        m_store->setLayerLimits(layerLimits);
        QVariantMap options;
        if (format == QStringLiteral("rootfs"))
            options.insert(QStringLiteral("name"), QStringLiteral("hostile"));
        const auto image = import(archive, format, options, limits);
        m_store->setLayerLimits({});
        QVERIFY(!image.ok());
        QVERIFY2(image.error().message.contains(mentions), qPrintable(image.error().message));
        QVERIFY(!QFileInfo::exists(QStringLiteral("/tmp/hamlet-escape")));
        QCOMPARE(snapshot(*m_store), before);
    }

    void failedImport_keepsWhatOtherImagesShare()
    {
        const auto busybox = m_store->image(QStringLiteral("busybox"));
        QVERIFY(busybox.ok());
        QVERIFY(m_store->unpackLayers(*busybox).ok());
        // An archive whose first layer is busybox's own (already stored and unpacked) and whose
        // second is missing: the failure must not take busybox's blob or layer with it.
        const QByteArray busyboxLayer = *m_store->readBlob(busybox->layerDigests.first());
        DockerArchive archive;
        archive.layers = {busyboxLayer, helloLayer("never stored\n")};
        const QString busyboxHex = hexOf(ImageStore::digestOf(busyboxLayer));
        archive.layerNames = {QStringLiteral("legacy%1/layer.tar").arg(busyboxHex.left(8)), QStringLiteral("nope.tar")};
        const QStringList before = snapshot(*m_store);
        const auto image = import(archive.build(), QStringLiteral("docker-archive"));
        QVERIFY(!image.ok());
        QCOMPARE(snapshot(*m_store), before);
        QVERIFY(m_store->verifyBlob(busybox->layerDigests.first()).ok());
        QVERIFY(QFileInfo(m_store->layerPath(busybox->diffIds.first()) + QStringLiteral("/bin/busybox")).isFile());
    }

    void cancelledImport_leavesNothing()
    {
        const QStringList before = snapshot(*m_store);
        ImportProgress progress;
        progress.cancel();
        const auto image = import(DockerArchive {}.build(), QStringLiteral("docker-archive"), {}, {}, &progress);
        QVERIFY(!image.ok());
        QVERIFY2(image.error().message.contains(QStringLiteral("cancelled")), qPrintable(image.error().message));
        QCOMPARE(snapshot(*m_store), before);
    }
};

QTEST_GUILESS_MAIN(TestArchiveImporter)
#include "tst_archiveimporter.moc"
