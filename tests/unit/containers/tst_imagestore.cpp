#include "blobwriter.h"
#include "busyboximage.h"
#include "imagestore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Hamlet::Containers;

namespace {
const QString kBusybox = QStringLiteral("/bin/busybox");

QJsonObject readJson(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}
} // namespace

class TestImageStore : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    int m_counter = 0;

    QString freshRoot() { return m_dir.filePath(QStringLiteral("store%1").arg(++m_counter)); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void initialize_createsAnOciLayoutOnlyRootCanEnter()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        QCOMPARE(
            readJson(store.root() + QStringLiteral("/oci-layout"))[QStringLiteral("imageLayoutVersion")].toString(),
            QStringLiteral("1.0.0"));
        const QJsonObject index = readJson(store.root() + QStringLiteral("/index.json"));
        QCOMPARE(index[QStringLiteral("schemaVersion")].toInt(), 2);
        QVERIFY(index[QStringLiteral("manifests")].isArray());
        QVERIFY(QFileInfo(store.root() + QStringLiteral("/blobs/sha256")).isDir());
        struct stat info {
        };
        QCOMPARE(::stat(QFile::encodeName(store.root()).constData(), &info), 0);
        QCOMPARE(info.st_mode & 0777, mode_t(0700));
    }

    void initialize_removesLayersLeftHalfUnpacked()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const QString stale = store.root() + QStringLiteral("/layers/abc.staging");
        QVERIFY(QDir().mkpath(stale + QStringLiteral("/bin")));
        QVERIFY(store.initialize().ok());
        QVERIFY(!QFileInfo::exists(stale));
    }

    void putBlob_isContentAddressed()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const auto digest = store.putBlob("hello");
        QVERIFY(digest.ok());
        QCOMPARE(*digest, QStringLiteral("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
        QCOMPARE(*store.readBlob(*digest), QByteArray("hello"));
    }

    void readBlob_detectsCorruptionAndRefusesPathsAsDigests()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const QString digest = *store.putBlob("original");
        QFile blob(store.blobPath(digest));
        QVERIFY(blob.open(QIODevice::WriteOnly));
        blob.write("tampered");
        blob.close();
        QVERIFY(!store.readBlob(digest).ok());
        QVERIFY(store.readBlob(digest).error().message.contains(QStringLiteral("corrupt")));
        QVERIFY(!ImageStore::isValidDigest(QStringLiteral("sha256:../../../etc/passwd")));
        QVERIFY(!store.readBlob(QStringLiteral("sha256:../../../etc/passwd")).ok());
    }

    void image_unknownNameIsNotFound()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const auto image = store.image(QStringLiteral("nope"));
        QVERIFY(!image.ok());
        QCOMPARE(image.error().name, Hamlet::Error::NotFound);
    }

    void busybox_isARealSingleLayerOciImage()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const auto image = BusyboxImage::ensure(store, kBusybox);
        QVERIFY2(image.ok(), image.ok() ? "" : qPrintable(image.error().message));
        QCOMPARE(image->name, QStringLiteral("busybox"));
        QCOMPARE(image->layerDigests.size(), 1);
        QCOMPARE(image->diffIds, image->layerDigests); // uncompressed layer
        QCOMPARE(image->config.cmd, QStringList {QStringLiteral("/bin/sh")});
        QVERIFY(image->config.env.first().startsWith(QStringLiteral("PATH=")));

        const QJsonArray manifests
            = readJson(store.root() + QStringLiteral("/index.json"))[QStringLiteral("manifests")].toArray();
        QCOMPARE(manifests.size(), 1);
        QCOMPARE(manifests.first()[QStringLiteral("annotations")][QStringLiteral("org.opencontainers.image.ref.name")]
                     .toString(),
                 QStringLiteral("busybox"));
        QCOMPARE(manifests.first()[QStringLiteral("digest")].toString(), image->manifestDigest);
        const QJsonObject manifest = readJson(store.blobPath(image->manifestDigest));
        QCOMPARE(manifest[QStringLiteral("config")][QStringLiteral("digest")].toString(), image->configDigest);
        QVERIFY(store.readBlob(image->layerDigests.first()).ok()); // digest matches content
        QVERIFY(store.contains(QStringLiteral("busybox")));
        QCOMPARE(store.images().size(), 1);
    }

    void busybox_digestsAreTheSameOnEveryBuild()
    {
        ImageStore first(freshRoot());
        ImageStore second(freshRoot());
        QVERIFY(first.initialize().ok() && second.initialize().ok());
        const auto a = BusyboxImage::ensure(first, kBusybox);
        QTest::qWait(1100); // a build a second later must not differ by a timestamp
        const auto b = BusyboxImage::ensure(second, kBusybox);
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(a->manifestDigest, b->manifestDigest);
        // Asking again serves the stored image.
        QCOMPARE(BusyboxImage::ensure(first, kBusybox)->manifestDigest, a->manifestDigest);
    }

    void busybox_missingBinaryNamesThePackage()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const auto image = BusyboxImage::ensure(store, QStringLiteral("/nonexistent/busybox"));
        QVERIFY(!image.ok());
        QVERIFY(image.error().message.contains(QStringLiteral("busybox-static")));
    }

    void unpackLayers_onceGivesARootfsThatRuns()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const auto image = BusyboxImage::ensure(store, kBusybox);
        QVERIFY(image.ok());
        const auto dirs = store.unpackLayers(*image);
        QVERIFY2(dirs.ok(), dirs.ok() ? "" : qPrintable(dirs.error().message));
        QCOMPARE(dirs->size(), 1);
        const QString layer = dirs->first();
        QCOMPARE(layer, store.layerPath(image->diffIds.first()));
        QVERIFY(QFileInfo(layer + QStringLiteral("/bin/busybox")).isExecutable());
        QCOMPARE(QFileInfo(layer + QStringLiteral("/bin/sh")).symLinkTarget(), QStringLiteral("/bin/busybox"));
        QVERIFY(QFileInfo(layer + QStringLiteral("/usr/bin/awk")).isSymLink());
        struct stat tmp {
        };
        QCOMPARE(::stat(QFile::encodeName(layer + QStringLiteral("/tmp")).constData(), &tmp), 0);
        QCOMPARE(tmp.st_mode & 07777, mode_t(01777));
        QVERIFY(QFile::exists(layer + QStringLiteral("/etc/passwd")));

        struct stat before {
        };
        QCOMPARE(::stat(QFile::encodeName(layer).constData(), &before), 0);
        QCOMPARE(*store.unpackLayers(*image), *dirs);
        struct stat after {
        };
        QCOMPARE(::stat(QFile::encodeName(layer).constData(), &after), 0);
        QCOMPARE(after.st_ino, before.st_ino); // not unpacked twice

        QProcess shell;
        shell.start(QStringLiteral("chroot"),
                    {layer, QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                     QStringLiteral("echo hi from $(basename $(readlink /bin/ls))")});
        QVERIFY(shell.waitForFinished(10000));
        QCOMPARE(shell.readAllStandardOutput().trimmed(), QByteArray("hi from busybox"));
    }

    void unpackLayers_refusesATamperedLayerBlob()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const auto image = BusyboxImage::ensure(store, kBusybox);
        QFile blob(store.blobPath(image->layerDigests.first()));
        QVERIFY(blob.open(QIODevice::ReadWrite));
        blob.seek(blob.size() - 1);
        blob.write("x");
        blob.close();
        const auto dirs = store.unpackLayers(*image);
        QVERIFY(!dirs.ok());
        QVERIFY2(dirs.error().message.contains(QStringLiteral("corrupt")), qPrintable(dirs.error().message));
        QVERIFY(!QFileInfo::exists(store.layerPath(image->diffIds.first())));
    }

    // A blob being written (writeFileAtomically's "*.tmp") is not garbage while the helper runs;
    // one left by a helper that died is removed at the next start.
    void temporaryBlobFiles_surviveACollectionButNotARestart()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const QString writing = store.root() + QStringLiteral("/blobs/sha256/") + QString(64, QLatin1Char('a'))
            + QStringLiteral(".123-0.tmp");
        QFile file(writing);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("half a blob");
        file.close();
        store.garbageCollect({});
        QVERIFY(QFileInfo::exists(writing));
        QVERIFY(store.initialize().ok());
        QVERIFY(!QFileInfo::exists(writing));
    }

    void removeImage_thenGarbageCollect_freesBlobsAndLayers()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const auto image = BusyboxImage::ensure(store, kBusybox);
        QVERIFY(store.unpackLayers(*image).ok());
        QCOMPARE(store.garbageCollect({}), 0ull); // everything is referenced
        QVERIFY(store.removeImage(QStringLiteral("busybox")).ok());
        QCOMPARE(store.removeImage(QStringLiteral("busybox")).error().name, Hamlet::Error::NotFound);
        // A container still using the layer keeps it.
        QVERIFY(store.garbageCollect(image->diffIds) > 1000000);
        QVERIFY(QFileInfo::exists(store.layerPath(image->diffIds.first())));
        QVERIFY(!QFileInfo::exists(store.blobPath(image->manifestDigest)));
        store.garbageCollect({});
        QVERIFY(!QFileInfo::exists(store.layerPath(image->diffIds.first())));
    }

    void tagManifest_recordsSourceAddedAtAndCreated()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-1);
        const auto busybox = BusyboxImage::ensure(store, kBusybox);
        QVERIFY(busybox.ok());
        QCOMPARE(busybox->source, ImageSource::Builtin);
        QVERIFY(busybox->addedAt >= before);
        QVERIFY(!busybox->created.isValid()); // the built-in config has no "created"
        // Another name for the same manifest, from an archive; the index keeps both with their
        // own origins, and the old two-argument overload keeps the origin it had.
        QVERIFY(store.tagManifest(QStringLiteral("copy"), busybox->manifestDigest, ImageSource::Archive).ok());
        QVERIFY(store.tagManifest(QStringLiteral("copy"), busybox->manifestDigest).ok());
        const auto copy = store.image(QStringLiteral("copy"));
        QVERIFY(copy.ok());
        QCOMPARE(copy->source, ImageSource::Archive);
        QCOMPARE(store.image(QStringLiteral("busybox"))->source, ImageSource::Builtin);
        const QJsonObject index = readJson(store.root() + QStringLiteral("/index.json"));
        const QJsonArray manifests = index[QStringLiteral("manifests")].toArray();
        QCOMPARE(manifests.size(), 2);
        QCOMPARE(manifests[1][QStringLiteral("annotations")][QStringLiteral("dev.hamlet.source")].toString(),
                 QStringLiteral("archive"));
        QVERIFY(QDateTime::fromString(
                    manifests[1][QStringLiteral("annotations")][QStringLiteral("dev.hamlet.added-at")].toString(),
                    Qt::ISODate)
                    .isValid());
    }

    void image_readsCreatedFromTheConfig()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const auto layer = store.putBlob(QByteArray(1024, '\0')); // an empty tar
        const QByteArray config = QJsonDocument(QJsonObject {
                                                    {QStringLiteral("created"), QStringLiteral("2024-03-01T12:00:00Z")},
                                                    {QStringLiteral("rootfs"),
                                                     QJsonObject {{QStringLiteral("diff_ids"), QJsonArray {*layer}}}},
                                                })
                                      .toJson();
        const auto configDigest = store.putBlob(config);
        const QByteArray manifest
            = QJsonDocument(
                  QJsonObject {
                      {QStringLiteral("config"), QJsonObject {{QStringLiteral("digest"), *configDigest}}},
                      {QStringLiteral("layers"),
                       QJsonArray {QJsonObject {{QStringLiteral("digest"), *layer}, {QStringLiteral("size"), 1024}}}},
                  })
                  .toJson();
        const auto image = store.tagManifest(QStringLiteral("dated"), *store.putBlob(manifest), ImageSource::Registry);
        QVERIFY2(image.ok(), image.ok() ? "" : qPrintable(image.error().message));
        QCOMPARE(image->created, QDateTime(QDate(2024, 3, 1), QTime(12, 0), Qt::UTC));
        QCOMPARE(store.images().first().created, image->created);
        QCOMPARE(store.images().first().source, ImageSource::Registry);
    }

    void blobWriter_checksTheDigestAndLeavesNothingWhenWrong()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const QString expected = ImageStore::digestOf("right");
        {
            BlobWriter writer(store, 1024);
            QVERIFY(writer.open().ok());
            QVERIFY(writer.write("wrong", 5).ok());
            const auto committed = writer.commit(nullptr, expected);
            QVERIFY(!committed.ok());
            QVERIFY2(committed.error().message.contains(expected), qPrintable(committed.error().message));
        }
        QVERIFY(QDir(store.temporaryDir()).isEmpty());
        QVERIFY(QDir(store.root() + QStringLiteral("/blobs/sha256")).isEmpty());
        {
            BlobWriter writer(store, 4);
            QVERIFY(writer.open().ok());
            QVERIFY(!writer.write("right", 5).ok()); // over the cap
        }
        BlobWriter writer(store, 1024);
        QVERIFY(writer.open().ok());
        QVERIFY(writer.write("right", 5).ok());
        QCOMPARE(*writer.commit(nullptr, expected), expected);
        QVERIFY(QDir(store.temporaryDir()).isEmpty());
        QCOMPARE(*store.readBlob(expected), QByteArray("right"));
    }

    void blobHolds_keepBlobsFromTheCollectorAndDiscardOnlyWhatTheyCreated()
    {
        ImageStore store(freshRoot());
        QVERIFY(store.initialize().ok());
        const auto busybox = BusyboxImage::ensure(store, kBusybox);
        QVERIFY(busybox.ok());
        const QString shared = busybox->layerDigests.first();
        QString fresh;
        {
            BlobHolds holds(store);
            BlobWriter writer(store, 1024);
            QVERIFY(writer.open().ok());
            QVERIFY(writer.write("in progress", 11).ok());
            fresh = *writer.commit(&holds);
            holds.hold(shared, false); // already in the store: not ours to discard
            QCOMPARE(store.garbageCollect({}), 0ull); // the fresh blob is held
            QVERIFY(QFileInfo::exists(store.blobPath(fresh)));
            holds.discardCreated();
        }
        QVERIFY(!QFileInfo::exists(store.blobPath(fresh)));
        QVERIFY(QFileInfo::exists(store.blobPath(shared)));
        QVERIFY(store.image(QStringLiteral("busybox")).ok());
        // Released: the collector may take an unreferenced blob again.
        const auto orphan = store.putBlob("orphan");
        QCOMPARE(store.garbageCollect({}), 6ull);
        QVERIFY(!QFileInfo::exists(store.blobPath(*orphan)));
    }
};

QTEST_GUILESS_MAIN(TestImageStore)
#include "tst_imagestore.moc"
