// Issue 15 acceptance 1: at every fail point (core/failpoints.h) the helper either dies there
// (SIGKILL, as a crash would) or the step returns an error. Afterwards (after a restart for a
// crash) an instance is either gone or listed in a state that works and can be deleted; no mount,
// cgroup, container directory, runtime state, guest files or QEMU process is left that no record
// owns; the image store holds exactly the files it held before; and the same create, pull or
// import then succeeds. Real runc, libvirt (TCG) and a local docker-registry.
#include "failpoints.h"
#include "helperfootprint.h"
#include "imagearchivebuilder.h"
#include "localregistry.h"

#include <QTemporaryFile>
#include <QTest>

#include <fcntl.h>

#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {

QVariantMap specFor(const QString &kind)
{
    if (kind == QLatin1String("vm"))
        return {{QStringLiteral("source"), QStringLiteral("tiny")},
                {QStringLiteral("memory"), QVariant::fromValue(128ull * 1024 * 1024)},
                {QStringLiteral("vcpus"), 1u}};
    return {{QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}}};
}

QString nameOf(std::string_view stage)
{
    return QString::fromLatin1(stage.data(), qsizetype(stage.size()));
}

QStringList entriesOf(const QString &dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
}

} // namespace

class TestFailPoints : public QObject
{
    Q_OBJECT

    TestSystem m_system;
    LocalRegistry m_registry;
    std::unique_ptr<HelperClient> m_client;
    int m_row = 0;

    bool startHelper(const QByteArray &failPoint)
    {
        if (failPoint.isEmpty())
            qunsetenv("HAMLET_FAILPOINT");
        else
            qputenv("HAMLET_FAILPOINT", failPoint);
        const bool started = m_system.startHelper();
        qunsetenv("HAMLET_FAILPOINT");
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        return started;
    }

    // What is on the host for instances that the helper no longer lists.
    QString unownedLeftovers()
    {
        QStringList found;
        const HelperFootprint footprint = footprintOf(m_system);
        if (footprint.mounts || footprint.cgroups || footprint.qemus)
            found << footprint.describe();
        for (const QString &dir :
             {m_system.stateDir() + QStringLiteral("/containers"), m_system.stateDir() + QStringLiteral("/instances"),
              m_system.runDir() + QStringLiteral("/runc"), m_system.runDir() + QStringLiteral("-vmfiles")}) {
            for (const QString &entry : entriesOf(dir)) {
                if (!entry.startsWith(QLatin1Char('.')))
                    found << dir + QLatin1Char('/') + entry;
            }
        }
        return found.join(QStringLiteral("; "));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(startHelper({}), qPrintable(m_system.error()));
        QVERIFY2(m_registry.start(), qPrintable(m_registry.error()));
        // The tables below are made from the list the code uses: every stage is in one of them.
        for (const std::string_view stage : FailPoints::All) {
            const QString name = nameOf(stage);
            QVERIFY2(name.startsWith(QLatin1String("container-")) || name.startsWith(QLatin1String("vm-"))
                         || name.startsWith(QLatin1String("pull-")) || name.startsWith(QLatin1String("import-")),
                     qPrintable(name));
        }
    }

    void failPoint_leavesNothingThatNoRecordOwns_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("stage");
        QTest::addColumn<QString>("action");
        for (const std::string_view stage : FailPoints::All) {
            const QString name = nameOf(stage);
            if (!name.startsWith(QLatin1String("container-")) && !name.startsWith(QLatin1String("vm-")))
                continue;
            const QString kind
                = name.startsWith(QLatin1String("vm-")) ? QStringLiteral("vm") : QStringLiteral("container");
            for (const QString &action : {QStringLiteral("abort"), QStringLiteral("error")})
                QTest::addRow("%s:%s", qPrintable(name), qPrintable(action)) << kind << name << action;
        }
    }

    void failPoint_leavesNothingThatNoRecordOwns()
    {
        QFETCH(QString, kind);
        QFETCH(QString, stage);
        QFETCH(QString, action);
        const bool deleting = stage.contains(QLatin1String("delete"));
        const QString name = QStringLiteral("fp%1").arg(++m_row);
        QVERIFY2(startHelper((stage + QLatin1Char(':') + action).toUtf8()), qPrintable(m_system.error()));

        QString failure;
        if (deleting) {
            QCOMPARE(createAndWait(*m_client, kind, name, specFor(kind)), QString());
            valueOr(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete"))), &failure);
        } else {
            failure = createAndWait(*m_client, kind, name, specFor(kind));
        }
        QVERIFY2(!failure.isEmpty(), "the step at the fail point succeeded");
        if (action == QLatin1String("abort")) {
            QTRY_VERIFY_WITH_TIMEOUT(!m_system.helperRunning(), 10000);
        } else {
            QVERIFY2(failure.contains(QStringLiteral("fail point ") + stage), qPrintable(failure));
            QVERIFY(m_system.helperRunning());
        }

        // A restart in both cases: after a crash it is the recovery; after an error, the
        // record left must load like any other.
        QVERIFY2(startHelper({}), qPrintable(m_system.error()));
        if (instanceNames(*m_client).contains(name)) {
            const QString state = instanceState(*m_client, name);
            QVERIFY2(QStringList({QStringLiteral("running"), QStringLiteral("stopped"), QStringLiteral("failed")})
                         .contains(state),
                     qPrintable(state));
            QString refused;
            valueOr(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete"))), &refused);
            QVERIFY2(refused.isEmpty(), qPrintable(state + QStringLiteral(": ") + refused));
        }
        QCOMPARE(instanceNames(*m_client), QStringList());
        QTRY_COMPARE_WITH_TIMEOUT(unownedLeftovers(), QString(), 10000);

        QCOMPARE(createAndWait(*m_client, kind, name, specFor(kind)), QString());
        QCOMPARE(instanceState(*m_client, name), QStringLiteral("running"));
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete")))));
        QTRY_COMPARE_WITH_TIMEOUT(unownedLeftovers(), QString(), 10000);
    }

    void imageFailPoint_leavesTheStoreAsItWas_data()
    {
        QTest::addColumn<QString>("stage");
        QTest::addColumn<QString>("action");
        for (const std::string_view stage : FailPoints::All) {
            const QString name = nameOf(stage);
            if (!name.startsWith(QLatin1String("pull-")) && !name.startsWith(QLatin1String("import-")))
                continue;
            for (const QString &action : {QStringLiteral("abort"), QStringLiteral("error")})
                QTest::addRow("%s:%s", qPrintable(name), qPrintable(action)) << name << action;
        }
    }

    void imageFailPoint_leavesTheStoreAsItWas()
    {
        QFETCH(QString, stage);
        QFETCH(QString, action);
        const QString tag = QStringLiteral("fp%1").arg(++m_row);
        const QString store = m_system.stateDir() + QStringLiteral("/images");
        QVERIFY2(startHelper({}), qPrintable(m_system.error()));
        const QStringList before = filesWithSizesUnder(store);

        QVERIFY2(startHelper((stage + QLatin1Char(':') + action).toUtf8()), qPrintable(m_system.error()));
        const QString failure = bringImage(stage, tag);
        QVERIFY2(!failure.isEmpty(), "the step at the fail point succeeded");
        if (action == QLatin1String("abort"))
            QTRY_VERIFY_WITH_TIMEOUT(!m_system.helperRunning(), 10000);
        else
            QVERIFY2(failure.contains(QStringLiteral("fail point ") + stage), qPrintable(failure));

        QVERIFY2(startHelper({}), qPrintable(m_system.error()));
        QCOMPARE(filesWithSizesUnder(store).join(QLatin1Char('\n')), before.join(QLatin1Char('\n')));
        QCOMPARE(bringImage(stage, tag), QString());
        QVERIFY(filesWithSizesUnder(store) != before);
        const QString image = imageName(stage, tag);
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->removeImage(image))));
        QCOMPARE(filesWithSizesUnder(store).join(QLatin1Char('\n')), before.join(QLatin1Char('\n')));
    }

private:
    QString imageName(const QString &stage, const QString &tag) const
    {
        return stage.startsWith(QLatin1String("pull-"))
            ? m_registry.hostPort() + QStringLiteral("/hamlet/failpoint:") + tag
            : QStringLiteral("localhost/failpoint-import:") + tag;
    }

    // Pulls a one-layer image from the local registry or imports an OCI archive; "" when it worked.
    QString bringImage(const QString &stage, const QString &tag)
    {
        Result<QString> job = QString();
        if (stage.startsWith(QLatin1String("pull-"))) {
            const auto pushed = m_registry.pushImage(
                QStringLiteral("hamlet/failpoint"), tag,
                {TestLayer {{LayerFile::file("data", QByteArray(256 * 1024, 'x') + tag.toUtf8())}}}, QJsonObject {});
            if (!pushed)
                return QStringLiteral("push: ") + m_registry.error();
            job = QCoro::waitFor(m_client->pullImage(imageName(stage, tag), {}));
        } else {
            OciArchive archive;
            archive.refName = tag;
            QTemporaryFile file;
            if (!file.open() || file.write(archive.build()) < 0 || !file.flush())
                return QStringLiteral("cannot write the archive");
            const int fd = ::open(QFile::encodeName(file.fileName()).constData(), O_RDONLY | O_CLOEXEC);
            job = QCoro::waitFor(m_client->importImage(fd, QStringLiteral("oci-archive"),
                                                       {{QStringLiteral("name"), imageName(stage, tag)}}));
            ::close(fd);
        }
        if (const auto *error = std::get_if<ClientError>(&job))
            return error->name + QStringLiteral(": ") + error->message;
        const auto done = QCoro::waitFor(m_client->waitForJob(std::get<QString>(job)));
        if (const auto *error = std::get_if<ClientError>(&done))
            return error->name + QStringLiteral(": ") + error->message;
        return {};
    }
};

QTEST_GUILESS_MAIN(TestFailPoints)
#include "tst_failpoints.moc"
