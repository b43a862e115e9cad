// What the Images page works out by itself before asking the helper: how a stored name reads,
// which registry a typed reference names (core's ImageReference, the helper's own parser), which
// stored login fits it, and which format an archive is.
// Real files: login files written the way docker and podman write them, archives made with tar.
#include "archiveformat.h"
#include "imagename.h"
#include "imagereference.h"
#include "registrycredentials.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Hamlet;

namespace {
void write(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(content);
}

// tar -c of the given relative paths under dir (created as files), options such as "-z".
QString makeTar(const QTemporaryDir &dir, const QString &name, const QStringList &paths,
                const QStringList &options = {})
{
    const QString root = dir.path() + QStringLiteral("/content-") + name;
    for (const QString &path : paths)
        write(root + QLatin1Char('/') + path, "x");
    const QString archive = dir.path() + QLatin1Char('/') + name;
    QProcess tar;
    tar.start(QStringLiteral("tar"),
              QStringList {QStringLiteral("-C"), root} + options + QStringList {QStringLiteral("-cf"), archive}
                  + paths);
    if (!tar.waitForFinished(30000) || tar.exitCode() != 0)
        return {};
    return archive;
}

ImageReference parsed(const QString &text)
{
    QString problem;
    const auto reference = ImageReference::parse(text, &problem);
    if (!reference)
        qWarning("%s: %s", qPrintable(text), qPrintable(problem));
    return reference.value_or(ImageReference {});
}
} // namespace

class TestImageInputs : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // The registry the Pull dialog looks up logins for, and shows, is the one the helper will use.
    void parse_namesTheRegistryOfAPull_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("registry");
        QTest::newRow("short") << "alpine"
                               << "docker.io/library/alpine:latest"
                               << "docker.io";
        QTest::newRow("ghcr") << "ghcr.io/org/app:v1.2"
                              << "ghcr.io/org/app:v1.2"
                              << "ghcr.io";
        QTest::newRow("port") << "localhost:5000/test/img"
                              << "localhost:5000/test/img:latest"
                              << "localhost:5000";
    }

    void parse_namesTheRegistryOfAPull()
    {
        QFETCH(QString, text);
        QFETCH(QString, name);
        QFETCH(QString, registry);
        const ImageReference reference = parsed(text);
        QCOMPARE(reference.name(), name);
        QCOMPARE(reference.registry, registry);
    }

    void isLoopback_onlyForThisMachine()
    {
        QVERIFY(parsed(QStringLiteral("localhost:5000/a")).isLoopback());
        QVERIFY(parsed(QStringLiteral("127.0.0.1:5000/a")).isLoopback());
        QVERIFY(parsed(QStringLiteral("127.4.5.6/a")).isLoopback());
        QVERIFY(parsed(QStringLiteral("[::1]:5000/a")).isLoopback());
        QVERIFY(!parsed(QStringLiteral("registry.lan:5000/a")).isLoopback());
        QVERIFY(!parsed(QStringLiteral("alpine")).isLoopback());
        QVERIFY(!parsed(QStringLiteral("127.0.0.1.example.com/a")).isLoopback());
    }

    void split_showsStoredNamesShort()
    {
        QCOMPARE(ImageName::split(QStringLiteral("docker.io/library/alpine:3.20")).shortRepository(),
                 QStringLiteral("alpine"));
        QCOMPARE(ImageName::split(QStringLiteral("docker.io/library/alpine:3.20")).tag, QStringLiteral("3.20"));
        QCOMPARE(ImageName::split(QStringLiteral("docker.io/user/app:1")).shortRepository(),
                 QStringLiteral("user/app"));
        QCOMPARE(ImageName::split(QStringLiteral("127.0.0.1:5000/test/img:1")).shortRepository(),
                 QStringLiteral("127.0.0.1:5000/test/img"));
        QCOMPARE(ImageName::split(QStringLiteral("127.0.0.1:5000/test/img:1")).registry,
                 QStringLiteral("127.0.0.1:5000"));
        const QString digest = QStringLiteral("sha256:") + QString(64, QLatin1Char('b'));
        const ImageName pinned = ImageName::split(QStringLiteral("ghcr.io/org/app@") + digest);
        QCOMPARE(pinned.digest, digest);
        QVERIFY(pinned.tag.isEmpty());
        QCOMPARE(ImageName::split(QStringLiteral("busybox")).shortRepository(), QStringLiteral("busybox"));
        QCOMPARE(ImageName::split(QStringLiteral("tools:1")).tag, QStringLiteral("1"));
        QVERIFY(ImageName::split(QStringLiteral("tools:1")).registry.isEmpty());
    }

    // Files in podman's order; in the first file that knows the registry the most specific key wins;
    // docker's Hub key and credential helpers are understood; a broken file is skipped and reported.
    void credentials_findTheLoginThatFits()
    {
        QTemporaryDir dir;
        const QString runtimeAuth = dir.path() + QStringLiteral("/run/containers/auth.json");
        const QString configAuth = dir.path() + QStringLiteral("/config/containers/auth.json");
        const QString dockerConfig = dir.path() + QStringLiteral("/home/.docker/config.json");
        write(runtimeAuth, R"({"auths": {"quay.io": {"auth": "cXVheQ=="}, "quay.io/org": {"auth": "b3Jn"}}})");
        write(configAuth, "{ not json");
        // One line per string: moc does not follow raw strings across lines.
        write(dockerConfig,
              R"({"auths": {"https://index.docker.io/v1/": {"auth": "aHVi"}, "ghcr.io": {},)"
              R"("quay.io": {"auth": "c2Vjb25k"}, "http://localhost:5000": {"auth": "bG9jYWw="}},)"
              R"("credsStore": "desktop"})");
        QStringList problems;
        const RegistryCredentials credentials = RegistryCredentials::load(
            {runtimeAuth, configAuth, dockerConfig, dir.path() + QStringLiteral("/missing.json")}, &problems);
        QCOMPARE(problems.size(), 1);
        QVERIFY2(problems.first().contains(configAuth), qPrintable(problems.first()));

        QCOMPARE(credentials.find(parsed(QStringLiteral("alpine")))->auth, QStringLiteral("aHVi"));
        QCOMPARE(credentials.find(parsed(QStringLiteral("quay.io/org/app")))->auth, QStringLiteral("b3Jn"));
        QCOMPARE(credentials.find(parsed(QStringLiteral("quay.io/other/app")))->auth, QStringLiteral("cXVheQ=="));
        QCOMPARE(credentials.find(parsed(QStringLiteral("quay.io/organisation/app")))->auth,
                 QStringLiteral("cXVheQ==")); // "quay.io/org" is not a prefix of another namespace
        QCOMPARE(credentials.find(parsed(QStringLiteral("localhost:5000/x")))->auth, QStringLiteral("bG9jYWw="));
        const auto helper = credentials.find(parsed(QStringLiteral("ghcr.io/org/app")));
        QVERIFY(helper);
        QVERIFY(helper->auth.isEmpty());
        QCOMPARE(helper->helper, QStringLiteral("desktop"));
        QVERIFY(!credentials.find(parsed(QStringLiteral("registry.example.com/app"))));
    }

    void credentials_defaultFilesAreTheUsersOwn()
    {
        qputenv("XDG_RUNTIME_DIR", "/run/user/1234");
        qputenv("XDG_CONFIG_HOME", "/home/someone/.config");
        const QStringList files = RegistryCredentials::defaultFiles();
        QCOMPARE(files.value(0), QStringLiteral("/run/user/1234/containers/auth.json"));
        QCOMPARE(files.value(1), QStringLiteral("/home/someone/.config/containers/auth.json"));
        QCOMPARE(files.value(2), QDir::homePath() + QStringLiteral("/.docker/config.json"));
    }

    void guessArchiveFormat_readsTheTarHeaders()
    {
        QTemporaryDir dir;
        const QString longDir = QString(120, QLatin1Char('d')); // past tar's 100-byte name field
        const QString docker = makeTar(
            dir, QStringLiteral("saved.tar"),
            {longDir + QStringLiteral("/layer.tar"), QStringLiteral("manifest.json"), QStringLiteral("repositories")});
        const QString oci
            = makeTar(dir, QStringLiteral("image.oci"),
                      {QStringLiteral("blobs/sha256/abc"), QStringLiteral("index.json"), QStringLiteral("oci-layout")});
        const QString rootfs = makeTar(dir, QStringLiteral("rootfs.tar"), {QStringLiteral("bin/sh")});
        const QString compressed
            = makeTar(dir, QStringLiteral("rootfs.tar.gz"), {QStringLiteral("manifest.json")}, {QStringLiteral("-z")});
        QVERIFY(!docker.isEmpty() && !oci.isEmpty() && !rootfs.isEmpty() && !compressed.isEmpty());
        QCOMPARE(guessArchiveFormat(docker).format, QStringLiteral("docker-archive"));
        QCOMPARE(guessArchiveFormat(oci).format, QStringLiteral("oci-archive"));
        QCOMPARE(guessArchiveFormat(rootfs).format, QStringLiteral("rootfs"));
        QCOMPARE(guessArchiveFormat(compressed).format, QStringLiteral("rootfs"));
        const ArchiveGuess missing = guessArchiveFormat(dir.path() + QStringLiteral("/nothing.tar"));
        QVERIFY(missing.format.isEmpty());
        QVERIFY(!missing.reason.isEmpty());
        write(dir.path() + QStringLiteral("/text.txt"), QByteArray(2000, 'z'));
        QCOMPARE(guessArchiveFormat(dir.path() + QStringLiteral("/text.txt")).format, QStringLiteral("rootfs"));
    }
};

QTEST_GUILESS_MAIN(TestImageInputs)
#include "tst_imageinputs.moc"
