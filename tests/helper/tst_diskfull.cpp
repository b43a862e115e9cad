// Issue 15 acceptance 3: the helper's STATE on a small filesystem of the test's own (a 160 MiB
// tmpfs) filled to the last byte. A pull, an import, a container create and a VM create each fail
// with an error that says there is no space and where, leave nothing half-made (no image, no
// instance, the store's files as before), and each works once the space is back.
#include "helperfootprint.h"
#include "imagearchivebuilder.h"
#include "localregistry.h"

#include <QTemporaryFile>
#include <QTest>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {

quint64 availableBytes(const QString &dir)
{
    struct statvfs info {
    };
    return ::statvfs(QFile::encodeName(dir).constData(), &info) == 0 ? quint64(info.f_bavail) * info.f_frsize : 0;
}

} // namespace

class TestDiskFull : public QObject
{
    Q_OBJECT

    TestSystem m_system;
    LocalRegistry m_registry;
    std::unique_ptr<HelperClient> m_client;
    QString m_filler;

    QString imageStore() const { return m_system.stateDir() + QStringLiteral("/images"); }
    QString pulled() const { return m_registry.hostPort() + QStringLiteral("/hamlet/full:1"); }
    static QString imported() { return QStringLiteral("localhost/full-import:1"); }

    QString finish(const Result<QString> &job)
    {
        if (const auto *error = std::get_if<ClientError>(&job))
            return error->name + QStringLiteral(": ") + error->message;
        const auto done = QCoro::waitFor(m_client->waitForJob(std::get<QString>(job)));
        if (const auto *error = std::get_if<ClientError>(&done))
            return error->name + QStringLiteral(": ") + error->message;
        return {};
    }

    QString pull() { return finish(QCoro::waitFor(m_client->pullImage(pulled(), {}))); }

    QString import()
    {
        OciArchive archive;
        archive.layers = {makeTar({{"payload", AE_IFREG, QByteArray(512 * 1024, 'p')}}, TarCompression::None)};
        QTemporaryFile file;
        if (!file.open() || file.write(archive.build()) < 0 || !file.flush())
            return QStringLiteral("cannot write the archive");
        const int fd = ::open(QFile::encodeName(file.fileName()).constData(), O_RDONLY | O_CLOEXEC);
        const QVariantMap options {{QStringLiteral("name"), imported()}};
        const auto job = QCoro::waitFor(m_client->importImage(fd, QStringLiteral("oci-archive"), options));
        ::close(fd);
        return finish(job);
    }

    QString createContainer()
    {
        const QVariantMap spec {
            {QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("60")}}};
        return createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("full-c"), spec);
    }

    // On the Hamlet network (its address is written under STATE first), or on none (libvirt's
    // definition is the first write).
    QString createVm(const QString &network = QStringLiteral("nat"))
    {
        const QVariantMap spec {{QStringLiteral("source"), QStringLiteral("tiny")},
                                {QStringLiteral("network"), network},
                                {QStringLiteral("memory"), QVariant::fromValue(128ull << 20)}};
        return createAndWait(*m_client, QStringLiteral("vm"), QStringLiteral("full-vm-") + network, spec);
    }

    QStringList images()
    {
        QStringList names;
        const auto listed = QCoro::waitFor(m_client->listImages());
        if (const auto *rows = std::get_if<VariantMapList>(&listed)) {
            for (const QVariantMap &row : *rows)
                names << row.value(QStringLiteral("name")).toString();
        }
        return names;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_registry.start(), qPrintable(m_registry.error()));
        const auto pushed = m_registry.pushImage(QStringLiteral("hamlet/full"), QStringLiteral("1"),
                                                 {TestLayer {{LayerFile::file("data", QByteArray(512 * 1024, 'd'))}}});
        QVERIFY2(pushed, qPrintable(m_registry.error()));
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY(QDir().mkpath(m_system.stateDir()));
        QVERIFY2(::mount("hamlet-full", QFile::encodeName(m_system.stateDir()).constData(), "tmpfs",
                         MS_NOSUID | MS_NODEV, "size=160m,mode=0700")
                     == 0,
                 "cannot mount a tmpfs on the state dir");
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        QVERIFY(waitUntilNoQemuOf(m_system, 60000)); // libvirt's start-up probe
    }

    void everyWriterSaysNoSpaceAndLeavesNothing()
    {
        const QStringList storeBefore = filesWithSizesUnder(imageStore());
        m_filler = m_system.stateDir() + QStringLiteral("/filler");
        const int fd = ::open(QFile::encodeName(m_filler).constData(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        QVERIFY(fd >= 0);
        QCOMPARE(::posix_fallocate(fd, 0, off_t(availableBytes(m_system.stateDir()))), 0);
        ::close(fd);
        QVERIFY2(availableBytes(m_system.stateDir()) < 64 * 1024,
                 qPrintable(QString::number(availableBytes(m_system.stateDir()))));

        const QList<std::pair<const char *, QString>> attempts {
            {"pull", pull()},
            {"import", import()},
            {"container create", createContainer()},
            {"VM create", createVm()},
            {"VM create without a network", createVm(QStringLiteral("none"))}};
        for (const auto &[what, failure] : attempts) {
            qInfo("%s on a full disk: %s", what, qPrintable(failure));
            QVERIFY2(failure.contains(QStringLiteral("space"), Qt::CaseInsensitive), qPrintable(failure));
            QVERIFY2(failure.contains(m_system.stateDir()), qPrintable(failure));
        }
        QVERIFY(!images().contains(pulled()));
        QVERIFY(!images().contains(imported()));
        QCOMPARE(instanceNames(*m_client), QStringList());
        QCOMPARE(filesWithSizesUnder(imageStore()), storeBefore);
        QCOMPARE(mountsUnder(m_system), 1); // the tmpfs itself, no overlay left
        QCOMPARE(cgroupsUnder(m_system.stateDir()), 0);
        QCOMPARE(qemuProcessesOf(m_system), 0);
    }

    void everyWriterWorksOnceTheSpaceIsBack()
    {
        QVERIFY(QFile::remove(m_filler));
        QCOMPARE(pull(), QString());
        QCOMPARE(import(), QString());
        QCOMPARE(createContainer(), QString());
        QCOMPARE(createVm(), QString());
        QCOMPARE(createVm(QStringLiteral("none")), QString());
        QVERIFY(images().contains(pulled()));
        QVERIFY(images().contains(imported()));
        QCOMPARE(instanceNames(*m_client).size(), 3);
        for (const QString &name :
             {QStringLiteral("full-c"), QStringLiteral("full-vm-nat"), QStringLiteral("full-vm-none")})
            QVERIFY(
                std::holds_alternative<bool>(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete")))));
    }

    // Records are written atomically, but one damaged by hand or by the disk must not stop the rest.
    void anUnreadableRecordIsMovedAsideAndTheOthersLoad()
    {
        QCOMPARE(createContainer(), QString());
        const QString damaged = m_system.stateDir() + QStringLiteral("/instances/damaged.json");
        QFile file(damaged);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"spec\": {\"name\": \"damaged\", ");
        file.close();
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        QCOMPARE(instanceNames(*m_client), QStringList {QStringLiteral("full-c")});
        QVERIFY(!QFile::exists(damaged));
        QVERIFY(QFile::exists(damaged + QStringLiteral(".unreadable")));
        QVERIFY2(
            m_system.helperLog().contains(QStringLiteral("moved aside to ") + damaged + QStringLiteral(".unreadable")),
            qPrintable(m_system.helperLog().right(2000)));
        QVERIFY(std::holds_alternative<bool>(
            QCoro::waitFor(m_client->instanceCall(QStringLiteral("full-c"), QStringLiteral("Delete")))));
    }

    void cleanupTestCase()
    {
        m_system.stopHelper();
        ::umount2(QFile::encodeName(m_system.stateDir()).constData(), MNT_DETACH);
    }
};

QTEST_GUILESS_MAIN(TestDiskFull)
#include "tst_diskfull.moc"
