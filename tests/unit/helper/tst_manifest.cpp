#include "manifest.h"

#include <QTest>

using namespace Hamlet;
using namespace Hamlet::Registry;

namespace {
const QString kA = QStringLiteral("sha256:") + QString(64, QLatin1Char('a'));
const QString kB = QStringLiteral("sha256:") + QString(64, QLatin1Char('b'));
const QString kC = QStringLiteral("sha256:") + QString(64, QLatin1Char('c'));

QByteArray imageManifest(const QString &layerType, const QString &layerDigest = kB)
{
    return QStringLiteral(R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json",)"
                          R"("digest":"%1","size":12},"layers":[{"mediaType":"%2","digest":"%3","size":34}]})")
        .arg(kA, layerType, layerDigest)
        .toUtf8();
}

QByteArray index()
{
    return QStringLiteral(R"({"schemaVersion":2,"manifests":[)"
                          R"({"digest":"%1","size":1,"platform":{"os":"unknown","architecture":"unknown"}},)"
                          R"({"digest":"%2","size":2,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},)"
                          R"({"digest":"%3","size":3,"platform":{"os":"linux","architecture":"amd64"}}]})")
        .arg(kA, kB, kC)
        .toUtf8();
}
} // namespace

// Manifests and indexes as registries send them: what a pull accepts and how it picks.
class TestManifest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parse_acceptsGzipZstdAndPlainLayers_data()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("oci gzip") << "application/vnd.oci.image.layer.v1.tar+gzip";
        QTest::newRow("oci zstd") << "application/vnd.oci.image.layer.v1.tar+zstd";
        QTest::newRow("oci tar") << "application/vnd.oci.image.layer.v1.tar";
        QTest::newRow("docker gzip") << "application/vnd.docker.image.rootfs.diff.tar.gzip";
    }
    void parse_acceptsGzipZstdAndPlainLayers()
    {
        QFETCH(QString, type);
        const auto manifest = ImageManifest::parse(imageManifest(type), {});
        QVERIFY2(manifest.ok(), manifest.ok() ? "" : qPrintable(manifest.error().message));
        QCOMPARE(manifest->config.digest, kA);
        QCOMPARE(manifest->layers.size(), 1);
        QCOMPARE(manifest->layers[0].digest, kB);
        QCOMPARE(manifest->layers[0].size, 34);
    }

    void parse_refusesWhatCannotBeUnpacked()
    {
        const auto foreign = ImageManifest::parse(
            imageManifest(QStringLiteral("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip")), {});
        QVERIFY(!foreign.ok());
        QVERIFY(foreign.error().message.contains(QStringLiteral("cannot unpack")));
        const auto badDigest = ImageManifest::parse(
            imageManifest(QStringLiteral("application/vnd.oci.image.layer.v1.tar"), QStringLiteral("sha512:00")), {});
        QVERIFY(!badDigest.ok());
        QVERIFY(badDigest.error().message.contains(QStringLiteral("sha512:00")));
        const auto schema1
            = ImageManifest::parse("{}", QStringLiteral("application/vnd.docker.distribution.manifest.v1+prettyjws"));
        QCOMPARE(schema1.error().name, Error::Unsupported);
        QVERIFY(!ImageManifest::parse("not json", {}).ok());
    }

    void index_picksThePlatformAndSkipsAttestations()
    {
        QVERIFY(ManifestIndex::isIndex(ManifestIndex::mediaTypeOf(index(), {})));
        QVERIFY(!ManifestIndex::isIndex(ManifestIndex::mediaTypeOf(imageManifest({}), {})));
        QCOMPARE(ManifestIndex::pick(index(), QStringLiteral("linux/amd64"))->digest, kC);
        QCOMPARE(ManifestIndex::pick(index(), QStringLiteral("linux/arm64"))->digest, kB);
        QCOMPARE(ManifestIndex::pick(index(), QStringLiteral("linux/arm64/v8"))->digest, kB);
        const auto missing = ManifestIndex::pick(index(), QStringLiteral("linux/riscv64"));
        QCOMPARE(missing.error().name, Error::NotFound);
        QVERIFY2(missing.error().message.contains(QStringLiteral("it has: linux/arm64/v8, linux/amd64")),
                 qPrintable(missing.error().message));
        QCOMPARE(ManifestIndex::pick(index(), QStringLiteral("amd64")).error().name, Error::InvalidArgument);
    }

    void hostPlatform_isLinuxAndThisArchitecture()
    {
#if defined(__x86_64__)
        QCOMPARE(hostPlatform(), QStringLiteral("linux/amd64"));
#endif
        QVERIFY(hostPlatform().startsWith(QStringLiteral("linux/")));
    }
};

QTEST_GUILESS_MAIN(TestManifest)
#include "tst_manifest.moc"
