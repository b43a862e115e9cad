// Issue 17 acceptance 1, 2 and 4: a default container runs in a user namespace of its own, with
// 65,536 host ids of the helper's "hamlet" range; its root's files belong to the mapped uid on the
// host; Inspect and hamletctl say so; ranges are never shared, survive a helper restart and come
// back only once a deleted container's files are gone; userns=host needs polkit's yes.
#include "clienttest.h"
#include "dbustypes.h"
#include "testsystem.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QLocale>
#include <QTest>

#include <QCoro/QCoroTask>
#include <sys/stat.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {
struct Range {
    qulonglong hostId = 0;
    qulonglong size = 0;
    bool overlaps(const Range &other) const
    {
        return hostId < other.hostId + other.size && other.hostId < hostId + size;
    }
};

// "hamlet:START:COUNT" of a subuid/subgid file.
Range hamletEntry(const QString &path)
{
    for (const QByteArray &line : readFile(path).split('\n')) {
        const QList<QByteArray> fields = line.split(':');
        if (fields.size() == 3 && fields.at(0) == "hamlet")
            return Range {fields.at(1).toULongLong(), fields.at(2).toULongLong()};
    }
    return {};
}
} // namespace

class TestUserns : public QObject
{
    Q_OBJECT

    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;

    bool startHelper(const QByteArray &failPoint = {})
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

    QVariantMap inspect(const QString &name)
    {
        QString failure;
        const QVariantMap parts = valueOr(QCoro::waitFor(m_client->inspect(name)), &failure);
        if (!failure.isEmpty())
            qWarning().noquote() << "Inspect" << name << failure;
        return parts;
    }

    // The range Inspect shows (read from /proc/PID/uid_map while running).
    Range rangeOf(const QString &name)
    {
        const QVariantMap idMap = plainDBusValue(inspect(name).value(QStringLiteral("idMap"))).toMap();
        return Range {idMap.value(QStringLiteral("hostId")).toULongLong(),
                      idMap.value(QStringLiteral("size")).toULongLong()};
    }

    QString create(const QString &name, const QVariantMap &extra = {})
    {
        QVariantMap spec {{QStringLiteral("network"), QStringLiteral("none")},
                          {QStringLiteral("command"),
                           QStringList {QStringLiteral("sh"), QStringLiteral("-c"),
                                        QStringLiteral("touch /made-inside; exec sleep 3600")}}};
        spec.insert(extra);
        return createAndWait(*m_client, QStringLiteral("container"), name, spec);
    }

    QString remove(const QString &name)
    {
        return errorName(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete"))));
    }

    QString bundle(const QString &name) const { return m_system.stateDir() + QStringLiteral("/containers/") + name; }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(startHelper(), qPrintable(m_system.error()));
    }

    void defaultContainer_rootIsAnUnprivilegedHostUid()
    {
        // The helper reserved its range in (the test's copy of) subuid and subgid, above the host's.
        const Range pool = hamletEntry(m_system.subidDir() + QStringLiteral("/subuid"));
        QVERIFY2(pool.hostId >= 1000000 && pool.size >= 65536,
                 readFile(m_system.subidDir() + QStringLiteral("/subuid")));
        QCOMPARE(hamletEntry(m_system.subidDir() + QStringLiteral("/subgid")).hostId, pool.hostId);

        QCOMPARE(create(QStringLiteral("u1")), QString());
        const QVariantMap parts = inspect(QStringLiteral("u1"));
        const qint64 pid = parts.value(QStringLiteral("pid")).toLongLong();
        QVERIFY(pid > 0);
        const QByteArray uidMap = readFile(QStringLiteral("/proc/%1/uid_map").arg(pid)).simplified();
        QVERIFY2(uidMap != "0 0 4294967295", uidMap.constData());
        const Range range = rangeOf(QStringLiteral("u1"));
        QCOMPARE(uidMap, QStringLiteral("0 %1 65536").arg(range.hostId).toLatin1());
        QCOMPARE(readFile(QStringLiteral("/proc/%1/gid_map").arg(pid)).simplified(), uidMap);
        QVERIFY(range.hostId >= pool.hostId && range.hostId + range.size <= pool.hostId + pool.size);

        // What its root made in its rootfs is the mapped uid's on the host, and root's inside.
        const QString made = bundle(QStringLiteral("u1")) + QStringLiteral("/upper/made-inside");
        QDeadlineTimer deadline(10000);
        while (!QFile::exists(made) && !deadline.hasExpired())
            QTest::qWait(50);
        struct stat info {
        };
        QCOMPARE(::stat(QFile::encodeName(made).constData(), &info), 0);
        QCOMPARE(qulonglong(info.st_uid), range.hostId);
        QCOMPARE(qulonglong(info.st_gid), range.hostId);
        const Run inside
            = m_system.run({}, TestSystem::ctlProgram(),
                           {QStringLiteral("exec"), QStringLiteral("u1"), QStringLiteral("--"), QStringLiteral("stat"),
                            QStringLiteral("-c"), QStringLiteral("%u:%g"), QStringLiteral("/made-inside")});
        QVERIFY2(inside.out.contains("0:0"), (inside.out + inside.err).constData());

        // Inspect, then hamletctl, say it in words.
        const QVariantMap user
            = plainDBusValue(
                  plainDBusValue(parts.value(QStringLiteral("namespaces"))).toMap().value(QStringLiteral("user")))
                  .toMap();
        QCOMPARE(user.value(QStringLiteral("state")).toString(), QStringLiteral("isolated"));
        QCOMPARE(parts.value(QStringLiteral("userns")).toString(), QStringLiteral("auto"));
        const Run ctl = m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("inspect"), QStringLiteral("u1")});
        const QString expected = QStringLiteral("user: isolated — root here is uid %1 on the host")
                                     .arg(QLocale(QLocale::English, QLocale::UnitedStates).toString(range.hostId));
        QVERIFY2(QString::fromUtf8(ctl.out).contains(expected), ctl.out.constData());
    }

    // STATE must be searchable for the containers' roots, and nothing else in it may be reached by
    // other users through that: every entry but containers/ is private (a VM disk, the history).
    void stateDirectory_isPrivateButForTheContainersPath()
    {
        const QString state = m_system.stateDir();
        struct stat info {
        };
        QCOMPARE(::stat(QFile::encodeName(state).constData(), &info), 0);
        QCOMPARE(info.st_mode & 07777, mode_t(0711));
        const QFileInfoList entries
            = QDir(state).entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System);
        QStringList names;
        for (const QFileInfo &entry : entries) {
            names << entry.fileName();
            if (entry.fileName() == QStringLiteral("containers"))
                continue;
            QCOMPARE(::lstat(QFile::encodeName(entry.filePath()).constData(), &info), 0);
            QVERIFY2((info.st_mode & 077) == 0,
                     qPrintable(QStringLiteral("%1 is %2").arg(entry.fileName()).arg(info.st_mode & 07777, 0, 8)));
        }
        // The entries that hold other users' data are there to be checked.
        for (const QString &expected : {QStringLiteral("vms"), QStringLiteral("network"), QStringLiteral("images"),
                                        QStringLiteral("history.sqlite")})
            QVERIFY2(names.contains(expected), qPrintable(names.join(QLatin1Char(' '))));
    }

    void hostUserns_isTodaysRootAndSaysShared()
    {
        QCOMPARE(create(QStringLiteral("hostroot"), {{QStringLiteral("userns"), QStringLiteral("host")}}), QString());
        const QVariantMap parts = inspect(QStringLiteral("hostroot"));
        const qint64 pid = parts.value(QStringLiteral("pid")).toLongLong();
        QCOMPARE(readFile(QStringLiteral("/proc/%1/uid_map").arg(pid)).simplified(), QByteArray("0 0 4294967295"));
        QVERIFY(!parts.contains(QStringLiteral("idMap")));
        const Run ctl
            = m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("inspect"), QStringLiteral("hostroot")});
        QVERIFY2(ctl.out.contains("user: shared with the host"), ctl.out.constData());
        QCOMPARE(remove(QStringLiteral("hostroot")), QString());
    }

    void hostUserns_refusedForACallerDeniedTheDetail()
    {
        const QStringList before = instanceNames(*m_client);
        const Run run = m_system.run(TestSystem::PlainUser, TestSystem::ctlProgram(),
                                     {QStringLiteral("create-container"), QStringLiteral("rootwish"),
                                      QStringLiteral("userns=host"), QStringLiteral("network=none"),
                                      QStringLiteral("--"), QStringLiteral("sleep"), QStringLiteral("60")});
        QVERIFY2(run.err.contains("NotAuthorized") || run.out.contains("NotAuthorized"),
                 (run.out + run.err).constData());
        QCOMPARE(instanceNames(*m_client), before);
        QVERIFY(!QFileInfo::exists(bundle(QStringLiteral("rootwish"))));
        // An unknown value is refused as such, nothing made either.
        QVERIFY(create(QStringLiteral("badns"), {{QStringLiteral("userns"), QStringLiteral("keep-id")}})
                    .startsWith(QStringLiteral("dev.hamlet.Error.InvalidArgument")));
        QCOMPARE(instanceNames(*m_client), before);
    }

    void twoContainers_neverShareARange_andRangesSurviveARestart()
    {
        QCOMPARE(create(QStringLiteral("u2")), QString());
        const Range first = rangeOf(QStringLiteral("u1"));
        const Range second = rangeOf(QStringLiteral("u2"));
        QVERIFY(first.size == 65536 && second.size == 65536);
        QVERIFY2(!first.overlaps(second), qPrintable(QStringLiteral("%1 and %2").arg(first.hostId).arg(second.hostId)));

        QVERIFY2(startHelper(), qPrintable(m_system.error())); // restarts it
        QCOMPARE(rangeOf(QStringLiteral("u1")).hostId, first.hostId);
        QCOMPARE(rangeOf(QStringLiteral("u2")).hostId, second.hostId);
        // Stopped and started again: the same ids, so its files stay its own.
        QVERIFY(errorName(QCoro::waitFor(m_client->stop(QStringLiteral("u2"), true))).isEmpty());
        QCOMPARE(rangeOf(QStringLiteral("u2")).hostId, second.hostId); // from the record while stopped
        QVERIFY(
            errorName(QCoro::waitFor(m_client->instanceCall(QStringLiteral("u2"), QStringLiteral("Start")))).isEmpty());
        QCOMPARE(rangeOf(QStringLiteral("u2")).hostId, second.hostId);
        QCOMPARE(create(QStringLiteral("u3")), QString());
        const Range third = rangeOf(QStringLiteral("u3"));
        QVERIFY(!third.overlaps(first) && !third.overlaps(second));
    }

    void deletedRange_isReusedOnlyAfterItsFilesAreGone()
    {
        const Range first = rangeOf(QStringLiteral("u1"));
        // A delete that stops before the files go: the range stays taken.
        QVERIFY2(startHelper("container-delete-halfway:fail"), qPrintable(m_system.error()));
        QCOMPARE(remove(QStringLiteral("u1")), QStringLiteral("dev.hamlet.Error.Failed"));
        QVERIFY(QFileInfo::exists(bundle(QStringLiteral("u1")) + QStringLiteral("/upper/made-inside")));
        QCOMPARE(create(QStringLiteral("u4")), QString());
        QVERIFY2(!rangeOf(QStringLiteral("u4")).overlaps(first), "a range was handed out while its files were there");

        QVERIFY2(startHelper(), qPrintable(m_system.error()));
        QCOMPARE(remove(QStringLiteral("u1")), QString());
        QVERIFY(!QFileInfo::exists(bundle(QStringLiteral("u1"))));
        QCOMPARE(create(QStringLiteral("u5")), QString());
        QCOMPARE(rangeOf(QStringLiteral("u5")).hostId, first.hostId); // the lowest free one again
    }

    void cleanupTestCase()
    {
        if (!m_client)
            return;
        for (const QString &name : instanceNames(*m_client))
            remove(name);
    }
};

QTEST_GUILESS_MAIN(TestUserns)
#include "tst_userns.moc"
