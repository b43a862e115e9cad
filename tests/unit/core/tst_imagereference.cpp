#include "imagereference.h"

#include <QTest>

using Hamlet::ImageReference;

// Image references normalise like docker's, so "alpine" and "docker.io/library/alpine:latest"
// are one image, and malformed ones are refused with a reason.
class TestImageReference : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parse_normalisesLikeDocker_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("apiHost");
        QTest::addColumn<QString>("repository");
        const QString hex(64, QLatin1Char('a'));
        QTest::newRow("short") << "alpine"
                               << "docker.io/library/alpine:latest"
                               << "registry-1.docker.io"
                               << "library/alpine";
        QTest::newRow("tag") << "debian:12"
                             << "docker.io/library/debian:12"
                             << "registry-1.docker.io"
                             << "library/debian";
        QTest::newRow("user repo") << "grafana/grafana"
                                   << "docker.io/grafana/grafana:latest"
                                   << "registry-1.docker.io"
                                   << "grafana/grafana";
        QTest::newRow("index.docker.io") << "index.docker.io/library/busybox:1.36"
                                         << "docker.io/library/busybox:1.36"
                                         << "registry-1.docker.io"
                                         << "library/busybox";
        QTest::newRow("explicit hub") << "docker.io/alpine"
                                      << "docker.io/library/alpine:latest"
                                      << "registry-1.docker.io"
                                      << "library/alpine";
        QTest::newRow("host port") << "host:5000/x/y:tag"
                                   << "host:5000/x/y:tag"
                                   << "host:5000"
                                   << "x/y";
        QTest::newRow("localhost") << "localhost/app"
                                   << "localhost/app:latest"
                                   << "localhost"
                                   << "app";
        QTest::newRow("ghcr") << "ghcr.io/org/app:v1.2-rc_3"
                              << "ghcr.io/org/app:v1.2-rc_3"
                              << "ghcr.io"
                              << "org/app";
        QTest::newRow("digest") << "alpine@sha256:" + hex << "docker.io/library/alpine@sha256:" + hex
                                << "registry-1.docker.io"
                                << "library/alpine";
        QTest::newRow("tag and digest") << "127.0.0.1:5000/a/b:1@sha256:" + hex << "127.0.0.1:5000/a/b:1@sha256:" + hex
                                        << "127.0.0.1:5000"
                                        << "a/b";
        QTest::newRow("separators") << "docker.io/a.b_c__d--e/f"
                                    << "docker.io/a.b_c__d--e/f:latest"
                                    << "registry-1.docker.io"
                                    << "a.b_c__d--e/f";
    }
    void parse_normalisesLikeDocker()
    {
        QFETCH(QString, text);
        QFETCH(QString, name);
        QFETCH(QString, apiHost);
        QFETCH(QString, repository);
        QString problem;
        const auto reference = ImageReference::parse(text, &problem);
        QVERIFY2(reference, qPrintable(problem));
        QCOMPARE(reference->name(), name);
        QCOMPARE(reference->apiHost(), apiHost);
        QCOMPARE(reference->repository, repository);
        // Normalising is idempotent: the stored name parses to itself.
        QCOMPARE(ImageReference::parse(reference->name())->name(), name);
    }

    void parse_manifestReferencePrefersDigest()
    {
        const QString digest = QStringLiteral("sha256:") + QString(64, QLatin1Char('0'));
        QCOMPARE(ImageReference::parse(QStringLiteral("a:1@") + digest)->manifestReference(), digest);
        QCOMPARE(ImageReference::parse(QStringLiteral("a:1"))->manifestReference(), QStringLiteral("1"));
    }

    void parse_refusesMalformed_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("empty") << ""
                               << "empty";
        QTest::newRow("upper case") << "docker.io/Library/alpine"
                                    << "lower case";
        QTest::newRow("space") << "alp ine"
                               << "white space";
        QTest::newRow("bad digest") << "alpine@sha256:1234"
                                    << "digest";
        QTest::newRow("md5 digest") << "alpine@md5:d41d8cd98f00b204e9800998ecf8427e"
                                    << "digest";
        QTest::newRow("bad tag") << "alpine:-x"
                                 << "tag";
        QTest::newRow("empty tag") << "alpine:"
                                   << "tag";
        QTest::newRow("double slash") << "a//b"
                                      << "empty path component";
        QTest::newRow("trailing slash") << "ghcr.io/org/"
                                        << "empty path component";
        QTest::newRow("leading separator") << "-alpine"
                                           << "not a valid repository component";
        QTest::newRow("only host") << "ghcr.io/"
                                   << "names no repository";
        QTest::newRow("hex id") << QString(64, QLatin1Char('b')) << "image id";
        QTest::newRow("bad host") << "bad_host.io/x"
                                  << "registry host";
        QTest::newRow("too long") << QStringLiteral("a/") + QString(300, QLatin1Char('x')) << "255";
    }
    void parse_refusesMalformed()
    {
        QFETCH(QString, text);
        QFETCH(QString, mentions);
        QString problem;
        QVERIFY(!ImageReference::parse(text, &problem));
        QVERIFY2(problem.contains(mentions), qPrintable(problem));
        QVERIFY2(problem.contains(QStringLiteral("not a valid image reference")), qPrintable(problem));
    }

    void isLoopback_onlyForThisMachine()
    {
        QVERIFY(ImageReference::parse(QStringLiteral("localhost:5000/a"))->isLoopback());
        QVERIFY(ImageReference::parse(QStringLiteral("127.0.0.1:5000/a"))->isLoopback());
        QVERIFY(ImageReference::parse(QStringLiteral("[::1]:5000/a"))->isLoopback());
        QVERIFY(!ImageReference::parse(QStringLiteral("alpine"))->isLoopback());
        QVERIFY(!ImageReference::parse(QStringLiteral("127.0.0.1.evil.com/a"))->isLoopback());
        QVERIFY(!ImageReference::parse(QStringLiteral("10.0.0.1:5000/a"))->isLoopback());
    }
};

QTEST_GUILESS_MAIN(TestImageReference)
#include "tst_imagereference.moc"
