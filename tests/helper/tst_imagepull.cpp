// PullImage through the whole stack: the real bus, polkitd and helper, pulling from a real
// docker-registry on loopback (tests/support/localregistry.h), then running containers from what
// it pulled with runc.
#include "clienttest.h"
#include "errors.h"
#include "localregistry.h"
#include "testsystem.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkInterface>
#include <QProcess>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QUrl>

#include <QCoro/QCoroTask>
#include <csignal>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {

const QJsonObject kShell {{QStringLiteral("Cmd"), QJsonArray {QStringLiteral("/bin/sh")}},
                          {QStringLiteral("Env"), QJsonArray {QStringLiteral("PATH=/bin")}}};

QByteArray randomBytes(qsizetype size)
{
    QByteArray data(size, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(data.data()), size / 4);
    return data;
}

// Every path under the image store with its size: "nothing changed" is this list unchanged.
QStringList storeSnapshot(const QString &root)
{
    QStringList entries;
    QDirIterator it(root, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        if (!it.fileInfo().isSymLink() && it.fileInfo().isFile() && it.fileName() == QLatin1String("index.json"))
            entries << it.filePath() + QStringLiteral(" ") + QString::fromUtf8(readFile(it.filePath()).simplified());
        else
            entries << it.filePath();
    }
    entries.sort();
    return entries;
}

} // namespace

class TestImagePull : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    LocalRegistry m_registry;
    std::unique_ptr<HelperClient> m_client;
    PushedImage m_multi;
    PushedImage m_amd64;
    QString m_indexDigest;

    QString storeRoot() const { return m_system.stateDir() + QStringLiteral("/images"); }
    QString local(const QString &repository) const { return m_registry.hostPort() + QLatin1Char('/') + repository; }

    // Pulls and waits; "" on success, else "ErrorName: message". *jobPath gets the job.
    QString pull(const QString &reference, const QVariantMap &options = {}, QString *jobPath = nullptr)
    {
        const auto job = QCoro::waitFor(m_client->pullImage(reference, options));
        if (const auto *error = std::get_if<ClientError>(&job))
            return error->name + QStringLiteral(": ") + error->message;
        if (jobPath)
            *jobPath = std::get<QString>(job);
        const auto done = QCoro::waitFor(m_client->waitForJob(std::get<QString>(job)));
        if (const auto *error = std::get_if<ClientError>(&done))
            return error->name + QStringLiteral(": ") + error->message;
        return {};
    }

    QVariantMap image(const QString &name)
    {
        const auto images = QCoro::waitFor(m_client->listImages());
        if (const auto *rows = std::get_if<VariantMapList>(&images)) {
            for (const QVariantMap &row : *rows) {
                if (row.value(QStringLiteral("name")).toString() == name)
                    return row;
            }
        }
        return {};
    }

    // Runs a shell command in a new container of the image and returns what it printed.
    QByteArray runIn(const QString &imageName, const QString &container, const QString &script)
    {
        const QVariantMap spec {
            {QStringLiteral("image"), imageName},
            {QStringLiteral("command"), QStringList {QStringLiteral("sh"), QStringLiteral("-c"), script}}};
        const QString created = createAndWait(*m_client, QStringLiteral("container"), container, spec);
        if (!created.isEmpty())
            return "create failed: " + created.toUtf8();
        const QString log = m_system.stateDir() + QStringLiteral("/containers/%1/container.log").arg(container);
        QElapsedTimer timer;
        timer.start();
        while (!readFile(log).contains("END") && timer.elapsed() < 10000)
            QTest::qWait(50);
        return readFile(log);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_registry.start(), qPrintable(m_registry.error()));
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());

        // Three layers in Docker v2 format: a file deleted (whiteout) and one changed above.
        QList<LayerFile> base = busyboxFiles();
        base << LayerFile::file("etc/keep", "kept\n") << LayerFile::file("etc/gone", "should be deleted\n")
             << LayerFile::file("etc/changed", "old\n");
        const TestLayer lower {base, Compression::Gzip};
        const TestLayer upper {{LayerFile::whiteout("etc", "gone"), LayerFile::file("etc/changed", "new\n")},
                               Compression::Gzip};
        const TestLayer top {{LayerFile::file("etc/top", "uncompressed layer\n")}, Compression::None};
        const auto multi = m_registry.pushImage(QStringLiteral("hamlet/multi"), QStringLiteral("1"),
                                                {lower, upper, top}, kShell, ManifestFormat::DockerV2);
        QVERIFY2(multi, qPrintable(m_registry.error()));
        m_multi = *multi;

        // An OCI index with an amd64 and an arm64 image, each with a zstd layer saying which.
        const TestLayer busybox {busyboxFiles(), Compression::Gzip};
        const auto amd64
            = m_registry.pushImage(QStringLiteral("hamlet/multiarch"), QStringLiteral("amd64-only"),
                                   {busybox, TestLayer {{LayerFile::file("etc/arch", "amd64\n")}, Compression::Zstd}},
                                   kShell, ManifestFormat::Oci, QStringLiteral("amd64"));
        QVERIFY2(amd64, qPrintable(m_registry.error()));
        m_amd64 = *amd64;
        const auto arm64
            = m_registry.pushImage(QStringLiteral("hamlet/multiarch"), QStringLiteral("arm64-only"),
                                   {busybox, TestLayer {{LayerFile::file("etc/arch", "arm64\n")}, Compression::Zstd}},
                                   kShell, ManifestFormat::Oci, QStringLiteral("arm64"));
        QVERIFY2(arm64, qPrintable(m_registry.error()));
        const auto index = m_registry.pushIndex(QStringLiteral("hamlet/multiarch"), QStringLiteral("1"),
                                                {{*arm64, QStringLiteral("arm64")}, {*amd64, QStringLiteral("amd64")}});
        QVERIFY2(index, qPrintable(m_registry.error()));
        m_indexDigest = *index;
    }

    void pull_multiLayerImageRunsWithWhiteoutAndChangedFile()
    {
        QSignalSpy changed(m_client.get(), &HelperClient::imagesChanged);
        QString jobPath;
        QCOMPARE(pull(local(QStringLiteral("hamlet/multi:1")), {}, &jobPath), QString());
        QTRY_VERIFY(changed.size() >= 1);
        const QVariantMap row = image(local(QStringLiteral("hamlet/multi:1")));
        QCOMPARE(row.value(QStringLiteral("digest")).toString(), m_multi.manifestDigest);
        QCOMPARE(row.value(QStringLiteral("layers")).toUInt(), 3u);
        for (const QString &diffId : m_multi.diffIds)
            QVERIFY2(QFileInfo(storeRoot() + QStringLiteral("/layers/") + diffId.mid(7)).isDir(), qPrintable(diffId));

        const QByteArray out = runIn(local(QStringLiteral("hamlet/multi:1")), QStringLiteral("pulled1"),
                                     QStringLiteral("cat /etc/keep /etc/changed /etc/top; "
                                                    "test -e /etc/gone && echo GONE-IS-THERE; echo END"));
        QCOMPARE(out, QByteArray("kept\nnew\nuncompressed layer\nEND\n"));
    }

    void pull_jobReportsBytesAndLayersToTheEnd()
    {
        // The same image under another tag: every blob exists, and the job says so per layer.
        const auto again = m_registry.pushImage(QStringLiteral("hamlet/other"), QStringLiteral("1"),
                                                {TestLayer {{LayerFile::file("x", randomBytes(3 << 20))}}}, kShell);
        QVERIFY2(again, qPrintable(m_registry.error()));
        QList<QVariantMap> changes;
        const QObject listening; // the connection ends with this test
        connect(m_client.get(), &HelperClient::jobChanged, &listening,
                [&changes](const QString &, const QVariantMap &change) { changes << change; });
        QCOMPARE(pull(local(QStringLiteral("hamlet/other:1"))), QString());
        QVariantMap last;
        for (const QVariantMap &change : changes)
            last.insert(change);
        QVERIFY(last.value(QStringLiteral("BytesTotal")).toULongLong() > (3u << 20));
        QCOMPARE(last.value(QStringLiteral("BytesDone")), last.value(QStringLiteral("BytesTotal")));
        const VariantMapList layers = qdbus_cast<VariantMapList>(last.value(QStringLiteral("Layers")));
        QCOMPARE(layers.size(), 1);
        QCOMPARE(layers[0].value(QStringLiteral("digest")).toString(), again->layerDigests[0]);
        QCOMPARE(layers[0].value(QStringLiteral("state")).toString(), QStringLiteral("done"));
        QCOMPARE(layers[0].value(QStringLiteral("bytesDone")), layers[0].value(QStringLiteral("bytesTotal")));
    }

    void pull_indexResolvesToAmd64AndZstdLayerUnpacks()
    {
        QCOMPARE(pull(local(QStringLiteral("hamlet/multiarch:1"))), QString());
        QCOMPARE(image(local(QStringLiteral("hamlet/multiarch:1"))).value(QStringLiteral("digest")).toString(),
                 m_amd64.manifestDigest);
        QCOMPARE(runIn(local(QStringLiteral("hamlet/multiarch:1")), QStringLiteral("arch1"),
                       QStringLiteral("cat /etc/arch; echo END")),
                 QByteArray("amd64\nEND\n"));
    }

    void pull_byDigestOfTheIndexGivesTheSameImage()
    {
        const QString byDigest = local(QStringLiteral("hamlet/multiarch@")) + m_indexDigest;
        QCOMPARE(pull(byDigest), QString());
        QCOMPARE(image(byDigest).value(QStringLiteral("digest")).toString(), m_amd64.manifestDigest);
    }

    void pull_platformOptionPicksArm64()
    {
        const QVariantMap options {{QStringLiteral("platform"), QStringLiteral("linux/arm64")}};
        QCOMPARE(pull(local(QStringLiteral("hamlet/multiarch:1")), options), QString());
        QVERIFY(image(local(QStringLiteral("hamlet/multiarch:1"))).value(QStringLiteral("digest")).toString()
                != m_amd64.manifestDigest);
        QCOMPARE(pull(local(QStringLiteral("hamlet/multiarch:1"))), QString()); // back to amd64 for later tests
        const QVariantMap riscv {{QStringLiteral("platform"), QStringLiteral("linux/riscv64")}};
        const QString refused = pull(local(QStringLiteral("hamlet/multiarch:1")), riscv);
        QVERIFY2(refused.startsWith(Error::NotFound)
                     && refused.contains(QStringLiteral("it has: linux/arm64, linux/amd64")),
                 qPrintable(refused));
    }

    void pull_secondPullDownloadsNoBlob()
    {
        const int before = m_registry.blobDownloads();
        QVERIFY(before > 0); // the log is counted at all
        QCOMPARE(pull(local(QStringLiteral("hamlet/multi:1"))), QString());
        QCOMPARE(pull(local(QStringLiteral("hamlet/multiarch:1"))), QString());
        QCOMPARE(m_registry.blobDownloads(), before);
    }

    void create_shortNameFindsTheNormalisedImage()
    {
        // Pulled without a tag, the image is stored as ...:latest; CreateContainer takes the short
        // form too, as "alpine" finds docker.io/library/alpine:latest.
        const auto latest = m_registry.pushImage(QStringLiteral("hamlet/short"), QStringLiteral("latest"),
                                                 {TestLayer {busyboxFiles()}}, kShell);
        QVERIFY2(latest, qPrintable(m_registry.error()));
        const QString shortName = local(QStringLiteral("hamlet/short"));
        QCOMPARE(pull(shortName), QString());
        QVERIFY(!image(shortName + QStringLiteral(":latest")).isEmpty());
        QCOMPARE(runIn(shortName, QStringLiteral("short1"), QStringLiteral("echo END")), QByteArray("END\n"));
        const QString refused = createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("short2"),
                                              {{QStringLiteral("image"), local(QStringLiteral("hamlet/absent"))}});
        QVERIFY2(refused.startsWith(Error::InvalidArgument), qPrintable(refused));
    }

    void pull_tamperedBlobFailsAndLeavesNothing()
    {
        const auto tampered = m_registry.pushImage(QStringLiteral("hamlet/tampered"), QStringLiteral("1"),
                                                   {TestLayer {{LayerFile::file("good", randomBytes(1 << 20))}},
                                                    TestLayer {{LayerFile::file("bad", randomBytes(1 << 20))}}},
                                                   kShell);
        QVERIFY2(tampered, qPrintable(m_registry.error()));
        QVERIFY(m_registry.tamperBlob(tampered->layerDigests[1]));
        const QStringList before = storeSnapshot(storeRoot());
        const QString error = pull(local(QStringLiteral("hamlet/tampered:1")));
        QVERIFY2(error.startsWith(Error::Failed) && error.contains(tampered->layerDigests[1])
                     && error.contains(QStringLiteral("does not match its digest")),
                 qPrintable(error));
        QCOMPARE(storeSnapshot(storeRoot()), before);
        QVERIFY(image(local(QStringLiteral("hamlet/tampered:1"))).isEmpty());
    }

    void pull_layerNotMatchingItsDiffIdIsRefused()
    {
        // The blob matches its digest, but the config claims another uncompressed content: the
        // unpacked layer (shared by diff id) must not be published under that name.
        BuiltLayer layer = buildLayer(TestLayer {{LayerFile::file("lie", "not what the config says\n")}});
        layer.diffId = m_multi.diffIds[0]; // poses as the busybox base layer of hamlet/multi
        const auto liar
            = m_registry.pushBuiltImage(QStringLiteral("hamlet/liar"), QStringLiteral("1"), {layer}, kShell);
        QVERIFY2(liar, qPrintable(m_registry.error()));
        QCoro::waitFor(m_client->instanceCall(QStringLiteral("pulled1"), QStringLiteral("Delete")));
        QVERIFY(std::holds_alternative<bool>(
            QCoro::waitFor(m_client->removeImage(local(QStringLiteral("hamlet/multi:1"))))));
        const QStringList before = storeSnapshot(storeRoot());
        QVERIFY(!before.contains(storeRoot() + QStringLiteral("/layers/") + m_multi.diffIds[0].mid(7)));
        const QString error = pull(local(QStringLiteral("hamlet/liar:1")));
        QVERIFY2(error.startsWith(Error::Failed) && error.contains(QStringLiteral("not to the diff id")),
                 qPrintable(error));
        QCOMPARE(storeSnapshot(storeRoot()), before);
    }

    void pull_refusesMalformedReferenceAtOnce()
    {
        QSignalSpy jobs(m_client.get(), &HelperClient::jobChanged);
        for (const QString &bad :
             {QStringLiteral(""), QStringLiteral("docker.io/UPPER/case"), QStringLiteral("a@sha256:12")}) {
            const auto job = QCoro::waitFor(m_client->pullImage(bad, {}));
            QVERIFY2(errorName(job) == Error::InvalidArgument, qPrintable(bad));
        }
        const auto badOption
            = QCoro::waitFor(m_client->pullImage(QStringLiteral("alpine"), {{QStringLiteral("colour"), 1}}));
        QCOMPARE(errorName(badOption), Error::InvalidArgument);
        QTest::qWait(200);
        QCOMPARE(jobs.size(), 0);
    }

    void pull_unknownImageOrTagIsNotFound()
    {
        const QString noTag = pull(local(QStringLiteral("hamlet/multi:nope")));
        QVERIFY2(noTag.startsWith(Error::NotFound) && noTag.contains(QStringLiteral("has no tag \"nope\"")),
                 qPrintable(noTag));
        const QString noRepo = pull(local(QStringLiteral("hamlet/nothing-here")));
        QVERIFY2(noRepo.startsWith(Error::NotFound), qPrintable(noRepo));
    }

    void pull_registryNotListeningFailsClearly()
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        const quint16 port = closed.serverPort();
        closed.close();
        QElapsedTimer timer;
        timer.start();
        const QString error = pull(QStringLiteral("127.0.0.1:%1/x/y:1").arg(port));
        QVERIFY2(error.startsWith(Error::Failed) && error.contains(QStringLiteral("cannot reach registry")),
                 qPrintable(error));
        QVERIFY(timer.elapsed() < 10000);
    }

    void pull_remoteRegistryNeedsHttpsUnlessInsecure()
    {
        // The same registry, reached through this machine's own non-loopback address.
        QString address;
        for (const QHostAddress &candidate : QNetworkInterface::allAddresses()) {
            if (candidate.protocol() == QAbstractSocket::IPv4Protocol && !candidate.isLoopback())
                address = candidate.toString();
        }
        // A machine with loopback only gets one for this test: a TEST-NET-1 address on lo (not
        // a loopback address to the helper, which goes by the address), removed at the end.
        const QString testNetAddress = QStringLiteral("192.0.2.77");
        const QStringList onLo {testNetAddress + QStringLiteral("/32"), QStringLiteral("dev"), QStringLiteral("lo")};
        const bool borrowed = address.isEmpty();
        const auto giveBack = qScopeGuard([&] {
            if (borrowed)
                QProcess::execute(QStringLiteral("ip"),
                                  QStringList {QStringLiteral("addr"), QStringLiteral("del")} + onLo);
        });
        if (borrowed) {
            address = testNetAddress;
            QCOMPARE(QProcess::execute(QStringLiteral("ip"),
                                       QStringList {QStringLiteral("addr"), QStringLiteral("add")} + onLo),
                     0);
        }
        ThrottledProxy remote(m_registry.port(), qint64(1) << 30, address);
        QVERIFY(remote.start());
        const QString reference = remote.hostPort() + QStringLiteral("/hamlet/multi:1");
        const QString refused = pull(reference);
        QVERIFY2(refused.startsWith(Error::Failed) && refused.contains(QStringLiteral("cannot reach registry"))
                     && refused.contains(remote.hostPort()) && refused.contains(QStringLiteral("\"insecure\" option")),
                 qPrintable(refused));
        QVERIFY(image(reference).isEmpty());
        QCOMPARE(pull(reference, {{QStringLiteral("insecure"), true}}), QString());
        QVERIFY(!image(reference).isEmpty());
    }

    void pull_deniedCallerIsNotAuthorized()
    {
        for (const QString &user : {TestSystem::DeniedUser, TestSystem::AllowedUser}) {
            const Run run
                = m_system.run(user, TestSystem::callerProgram(),
                               {QStringLiteral("--bus"), m_system.busAddress(), QStringLiteral("--object"),
                                QStringLiteral("/dev/hamlet/Helper1"), QStringLiteral("--xml"),
                                TestSystem::sourceDir() + QStringLiteral("/resources/dbus/dev.hamlet.Manager1.xml"),
                                QStringLiteral("--method"), QStringLiteral("PullImage")});
            QVERIFY2(run.exitCode == 0, run.err.constData());
            // Allowed callers get past polkit to the (empty) reference's InvalidArgument.
            const QString expected = user == TestSystem::DeniedUser ? Error::NotAuthorized : Error::InvalidArgument;
            QVERIFY2(run.out.contains(expected.toUtf8()), run.out.constData());
        }
    }

    void pull_cancelMidPullLeavesNothing()
    {
        const auto big = m_registry.pushImage(QStringLiteral("hamlet/big"), QStringLiteral("1"),
                                              {TestLayer {{LayerFile::file("a", randomBytes(4 << 20))}},
                                               TestLayer {{LayerFile::file("b", randomBytes(4 << 20))}}},
                                              kShell);
        QVERIFY2(big, qPrintable(m_registry.error()));
        ThrottledProxy slow(m_registry.port(), 2 << 20); // 2 MiB/s: about 4 s
        QVERIFY(slow.start());
        const QString reference = slow.hostPort() + QStringLiteral("/hamlet/big:1");
        const QStringList before = storeSnapshot(storeRoot());
        bool downloading = false;
        const QObject listening; // the connection ends with this test
        connect(m_client.get(), &HelperClient::jobChanged, &listening,
                [&downloading](const QString &, const QVariantMap &change) {
                    if (change.value(QStringLiteral("BytesDone")).toULongLong() > (1 << 20))
                        downloading = true;
                });
        const auto job = QCoro::waitFor(m_client->pullImage(reference, {}));
        QVERIFY(std::holds_alternative<QString>(job));
        QTRY_VERIFY_WITH_TIMEOUT(downloading, 10000);
        QElapsedTimer timer;
        timer.start();
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->cancelJob(std::get<QString>(job)))));
        const auto done = QCoro::waitFor(m_client->waitForJob(std::get<QString>(job)));
        QVERIFY(timer.elapsed() < 2000);
        const auto *error = std::get_if<ClientError>(&done);
        QVERIFY(error);
        QVERIFY2(error->message.contains(QStringLiteral("cancelled")), qPrintable(error->message));
        QCOMPARE(storeSnapshot(storeRoot()), before);
    }

    void pull_bearerTokenAuth()
    {
        LocalRegistry secured;
        QVERIFY2(secured.start(), qPrintable(secured.error()));
        const auto pushed = secured.pushImage(
            QStringLiteral("hamlet/private"), QStringLiteral("1"),
            {TestLayer {busyboxFiles()}, TestLayer {{LayerFile::file("etc/secret", "s3cret\n")}}}, kShell);
        QVERIFY2(pushed, qPrintable(secured.error()));
        TokenIssuer issuer(QStringLiteral("alice"), QStringLiteral("correct horse"));
        QVERIFY2(issuer.start(), qPrintable(issuer.error()));
        QVERIFY2(secured.startWithTokenAuth(issuer.auth()), qPrintable(secured.error()));
        const QString reference = secured.hostPort() + QStringLiteral("/hamlet/private:1");

        QElapsedTimer timer;
        timer.start();
        const QString wrong = pull(reference,
                                   {{QStringLiteral("username"), QStringLiteral("alice")},
                                    {QStringLiteral("password"), QStringLiteral("wrong")}});
        QVERIFY2(wrong.startsWith(Error::NotAuthorized)
                     && wrong.contains(QStringLiteral("incorrect username or password")),
                 qPrintable(wrong));
        QVERIFY(timer.elapsed() < 10000);
        QVERIFY(issuer.requests() >= 1);
        const QString anonymous = pull(reference);
        QVERIFY2(anonymous.startsWith(Error::NotAuthorized), qPrintable(anonymous));
        QVERIFY(image(reference).isEmpty());

        const QString auth = QString::fromLatin1(QByteArrayLiteral("alice:correct horse").toBase64());
        QCOMPARE(pull(reference, {{QStringLiteral("auth"), auth}}), QString());
        QCOMPARE(image(reference).value(QStringLiteral("digest")).toString(), pushed->manifestDigest);
        QCOMPARE(runIn(reference, QStringLiteral("private1"), QStringLiteral("cat /etc/secret; echo END")),
                 QByteArray("s3cret\nEND\n"));
    }

    // A registry whose token service is on another machine over plain HTTP gets no password:
    // the pull is refused before the token service is asked.
    void pull_noPasswordToAPlainHttpTokenServiceElsewhere()
    {
        LocalRegistry secured;
        QVERIFY2(secured.start(), qPrintable(secured.error()));
        TokenIssuer issuer(QStringLiteral("alice"), QStringLiteral("correct horse"));
        QVERIFY2(issuer.start(), qPrintable(issuer.error()));
        LocalRegistry::TokenAuth elsewhere = issuer.auth();
        QUrl realm(elsewhere.realm);
        realm.setHost(QStringLiteral("192.0.2.77")); // TEST-NET-1: never reached
        elsewhere.realm = realm.toString();
        QVERIFY2(secured.startWithTokenAuth(elsewhere), qPrintable(secured.error()));
        const QString reference = secured.hostPort() + QStringLiteral("/hamlet/any:1");
        QElapsedTimer timer;
        timer.start();
        const QString refused = pull(reference,
                                     {{QStringLiteral("username"), QStringLiteral("alice")},
                                      {QStringLiteral("password"), QStringLiteral("correct horse")}});
        QVERIFY2(refused.startsWith(Error::NotAuthorized) && refused.contains(QStringLiteral("plain HTTP"))
                     && refused.contains(QStringLiteral("192.0.2.77")),
                 qPrintable(refused));
        QVERIFY(timer.elapsed() < 10000);
        QCOMPARE(issuer.requests(), 0);
    }

    void pull_basicAuthRegistry()
    {
        LocalRegistry secured;
        QVERIFY2(secured.start(), qPrintable(secured.error()));
        const auto pushed = secured.pushImage(QStringLiteral("hamlet/basic"), QStringLiteral("1"),
                                              {TestLayer {{LayerFile::file("etc/basic", "basic\n")}}}, kShell);
        QVERIFY2(pushed, qPrintable(secured.error()));
        QVERIFY2(secured.startWithBasicAuth(QStringLiteral("bob"), QStringLiteral("hunter2")),
                 qPrintable(secured.error()));
        const QString reference = secured.hostPort() + QStringLiteral("/hamlet/basic:1");
        const QString anonymous = pull(reference);
        QVERIFY2(anonymous.startsWith(Error::NotAuthorized)
                     && anonymous.contains(QStringLiteral("user name and password")),
                 qPrintable(anonymous));
        const QString wrong = pull(reference,
                                   {{QStringLiteral("username"), QStringLiteral("bob")},
                                    {QStringLiteral("password"), QStringLiteral("hunter3")}});
        QVERIFY2(wrong.startsWith(Error::NotAuthorized) && wrong.contains(QStringLiteral("bob")), qPrintable(wrong));
        QVERIFY(image(reference).isEmpty());
        QCOMPARE(pull(reference,
                      {{QStringLiteral("username"), QStringLiteral("bob")},
                       {QStringLiteral("password"), QStringLiteral("hunter2")}}),
                 QString());
        QCOMPARE(image(reference).value(QStringLiteral("digest")).toString(), pushed->manifestDigest);
    }

    void pull_interruptedByAHelperCrashLeavesNoTemporaryFiles()
    {
        const auto big = m_registry.pushImage(QStringLiteral("hamlet/crash"), QStringLiteral("1"),
                                              {TestLayer {{LayerFile::file("c", randomBytes(6 << 20))}}}, kShell);
        QVERIFY2(big, qPrintable(m_registry.error()));
        ThrottledProxy slow(m_registry.port(), 1 << 20);
        QVERIFY(slow.start());
        const QString reference = slow.hostPort() + QStringLiteral("/hamlet/crash:1");
        const auto job = QCoro::waitFor(m_client->pullImage(reference, {}));
        QVERIFY(std::holds_alternative<QString>(job));
        const QString temporary = storeRoot() + QStringLiteral("/tmp");
        QTRY_VERIFY_WITH_TIMEOUT(!QDir(temporary).isEmpty(QDir::Files), 10000); // a blob is on its way
        m_system.stopHelper(SIGKILL);
        QVERIFY(!QDir(temporary).isEmpty(QDir::Files));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        QVERIFY(QDir(temporary).isEmpty(QDir::Files));
        QVERIFY(image(reference).isEmpty());
    }

    void cleanupTestCase()
    {
        for (const QString &name :
             {QStringLiteral("pulled1"), QStringLiteral("arch1"), QStringLiteral("short1"), QStringLiteral("private1")})
            QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete")));
    }
};

QTEST_GUILESS_MAIN(TestImagePull)
#include "tst_imagepull.moc"
