// Owners and signals through the whole stack (real bus, polkitd, helper, runc): an instance
// belongs to the uid that made it; another user allowed "control" by polkit still cannot act on
// it without dev.hamlet.manage-others and never sees its env; and no signal of the helper reaches
// a connection that polkit did not let subscribe.
#include "clienttest.h"
#include "testsystem.h"

#include <QDBusArgument>
#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

#include <QCoro/QCoroTask>
#include <csignal>
#include <pwd.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {
const QString Secret = QStringLiteral("SECRET_TOKEN=hunter2");

uint uidOf(const QString &user)
{
    const passwd *account = ::getpwnam(user.toLocal8Bit().constData());
    return account ? account->pw_uid : 0;
}

// The Spec property as a map (nested in a{sv}, it arrives still marshalled).
QVariantMap specOf(const QVariantMap &properties)
{
    const QVariant spec = properties.value(QStringLiteral("Spec"));
    return spec.userType() == qMetaTypeId<QDBusArgument>() ? qdbus_cast<QVariantMap>(spec.value<QDBusArgument>())
                                                           : spec.toMap();
}

QString instanceXml()
{
    return TestSystem::sourceDir() + QStringLiteral("/resources/dbus/dev.hamlet.Instance1.xml");
}

// Reads a spawned listener's output until `marker` shows up (it is ready) or the time is up.
bool waitForOutput(QProcess &process, QByteArray *seen, const QByteArray &marker, int timeoutMs = 15000)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!seen->contains(marker) && !deadline.hasExpired()) {
        process.waitForReadyRead(100);
        *seen += process.readAllStandardOutput();
    }
    return seen->contains(marker);
}

QByteArray finish(QProcess &process, QByteArray seen)
{
    process.waitForFinished(40000);
    return seen + process.readAllStandardOutput();
}
} // namespace

class TestOwnership : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_root; // root: every owner's equal

    Run ctl(const QString &user, const QStringList &arguments)
    {
        return m_system.run(user, TestSystem::ctlProgram(), arguments, 90000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_root = std::make_unique<HelperClient>(m_system.busAddress());
        QVERIFY(uidOf(TestSystem::AllowedUser) != 0 && uidOf(TestSystem::OtherUser) != 0);
    }

    void hamletctlCreate_returnsWhenItsJobEnds_andRecordsTheOwner()
    {
        // The job's Completed goes only to its caller: hamletctl must still see it.
        const Run created
            = ctl(TestSystem::AllowedUser,
                  {QStringLiteral("create-container"), QStringLiteral("owned1"), QStringLiteral("env=") + Secret,
                   QStringLiteral("--"), QStringLiteral("sleep"), QStringLiteral("3600")});
        QVERIFY2(created.finished && created.exitCode == 0, created.err.constData());
        QVERIFY2(created.out.contains("/dev/hamlet/Helper1/instance/owned1"), created.out.constData());

        const QVariantMap properties = instanceProperties(*m_root, QStringLiteral("owned1"));
        QCOMPARE(properties.value(QStringLiteral("Owner")).toUInt(), uidOf(TestSystem::AllowedUser));
        QCOMPARE(properties.value(QStringLiteral("OwnerRecorded")).toBool(), true);
        QVERIFY(specOf(properties).value(QStringLiteral("env")).toStringList().contains(Secret));
        const QJsonObject record
            = QJsonDocument::fromJson(readFile(m_system.stateDir() + QStringLiteral("/instances/owned1.json")))
                  .object();
        QCOMPARE(record.value(QStringLiteral("ownerUid")).toInteger(), qint64(uidOf(TestSystem::AllowedUser)));
    }

    void anotherUserWithControl_isRefusedEveryVerb_andSeesNoEnv()
    {
        // The other user may control (her own instance answers her), so the refusals below come
        // from ownership alone.
        const Run own = ctl(TestSystem::OtherUser,
                            {QStringLiteral("create-container"), QStringLiteral("hers1"), QStringLiteral("--"),
                             QStringLiteral("sleep"), QStringLiteral("3600")});
        QVERIFY2(own.exitCode == 0, own.err.constData());
        const Run stopOwn = ctl(TestSystem::OtherUser, {QStringLiteral("stop"), QStringLiteral("hers1")});
        QVERIFY2(stopOwn.exitCode == 0, stopOwn.err.constData());

        const Run stop = ctl(TestSystem::OtherUser, {QStringLiteral("stop"), QStringLiteral("owned1")});
        QVERIFY(stop.exitCode != 0);
        QVERIFY2(stop.err.contains("dev.hamlet.Error.NotAuthorized"), stop.err.constData());
        QVERIFY2(stop.err.contains("manage-others"), stop.err.constData());

        const Run every = m_system.run(TestSystem::OtherUser, TestSystem::callerProgram(),
                                       {QStringLiteral("--bus"), m_system.busAddress(), QStringLiteral("--object"),
                                        QStringLiteral("/dev/hamlet/Helper1/instance/owned1"), QStringLiteral("--xml"),
                                        instanceXml()});
        const QList<QByteArray> lines = every.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 12); // every method of Instance1, SetPorts included
        for (const QByteArray &line : lines) {
            if (line.startsWith("dev.hamlet.Instance1.Inspect "))
                QVERIFY2(line.endsWith(" OK"), line.constData()); // looking needs monitor only
            else
                QVERIFY2(line.endsWith(" dev.hamlet.Error.NotAuthorized"), line.constData());
        }
        QCOMPARE(instanceState(*m_root, QStringLiteral("owned1")), QStringLiteral("running"));

        const Run shown = ctl(TestSystem::OtherUser, {QStringLiteral("show"), QStringLiteral("owned1")});
        QVERIFY2(shown.exitCode == 0, shown.err.constData());
        QVERIFY2(shown.out.contains("sleep"), shown.out.constData()); // the rest of the spec is there
        QVERIFY2(!shown.out.contains("hunter2"), shown.out.constData());
        const Run byOwner = ctl(TestSystem::AllowedUser, {QStringLiteral("show"), QStringLiteral("owned1")});
        QVERIFY2(byOwner.out.contains("hunter2"), byOwner.out.constData());
    }

    void administratorAndRoot_manageOthersInstances()
    {
        // hamlet-test-allowed is granted manage-others by the test rules.
        const Run start = ctl(TestSystem::AllowedUser, {QStringLiteral("start"), QStringLiteral("hers1")});
        QVERIFY2(start.exitCode == 0, start.err.constData());
        QCOMPARE(instanceState(*m_root, QStringLiteral("hers1")), QStringLiteral("running"));
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_root->stop(QStringLiteral("hers1"), true))));
        QCOMPARE(instanceState(*m_root, QStringLiteral("hers1")), QStringLiteral("stopped"));
    }

    void signals_reachOnlyAuthorizedSubscribers_withoutOthersEnv()
    {
        const QString bus = m_system.busAddress();
        // A user denied monitor, listening as any client can (a match rule on the helper's name).
        auto monitor = m_system.spawn(TestSystem::DeniedUser, QStringLiteral("timeout"),
                                      {QStringLiteral("28"), QStringLiteral("stdbuf"), QStringLiteral("-oL"),
                                       QStringLiteral("gdbus"), QStringLiteral("monitor"), QStringLiteral("--address"),
                                       bus, QStringLiteral("--dest"), QStringLiteral("dev.hamlet.Helper1")});
        const QStringList listen {QStringLiteral("--bus"), bus, QStringLiteral("--for"), QStringLiteral("25000")};
        auto denied = m_system.spawn(TestSystem::DeniedUser, TestSystem::watcherProgram(),
                                     listen + QStringList {QStringLiteral("--subscribe"), QStringLiteral("0")});
        auto unsubscribed = m_system.spawn(TestSystem::AllowedUser, TestSystem::watcherProgram(), listen);
        auto other = m_system.spawn(TestSystem::OtherUser, TestSystem::watcherProgram(),
                                    listen + QStringList {QStringLiteral("--subscribe"), QStringLiteral("0")});
        QByteArray monitorSeen, deniedSeen, unsubscribedSeen, otherSeen;
        QVERIFY2(waitForOutput(*monitor, &monitorSeen, "is owned by"), monitorSeen.constData());
        QVERIFY(waitForOutput(*denied, &deniedSeen, "listening"));
        QVERIFY(waitForOutput(*unsubscribed, &unsubscribedSeen, "listening"));
        QVERIFY(waitForOutput(*other, &otherSeen, "listening"));
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_root->subscribe(0))));
        QSignalSpy rootChanges(m_root.get(), &HelperClient::instanceChanged);

        // Root changes the limits of owned1 (a Spec change) and stops it; a container comes and goes.
        const auto limited = QCoro::waitFor(
            m_root->setLimits(QStringLiteral("owned1"), {{QStringLiteral("pids"), QVariant::fromValue(100ULL)}}));
        QVERIFY(std::holds_alternative<QString>(limited));
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_root->stop(QStringLiteral("owned1"), true))));
        QCOMPARE(
            createAndWait(*m_root, QStringLiteral("container"), QStringLiteral("passing1"),
                          {{QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("60")}}}),
            QString());
        QVERIFY(std::holds_alternative<bool>(
            QCoro::waitFor(m_root->instanceCall(QStringLiteral("passing1"), QStringLiteral("Delete")))));

        monitorSeen = finish(*monitor, monitorSeen);
        deniedSeen = finish(*denied, deniedSeen);
        unsubscribedSeen = finish(*unsubscribed, unsubscribedSeen);
        otherSeen = finish(*other, otherSeen);

        for (const char *leak : {"PropertiesChanged", "InstanceAdded", "InstanceRemoved", "Completed", "owned1"}) {
            QVERIFY2(!monitorSeen.contains(leak), monitorSeen.constData());
            QVERIFY2(!deniedSeen.contains(leak), deniedSeen.constData());
            QVERIFY2(!unsubscribedSeen.contains(leak), unsubscribedSeen.constData());
        }
        QVERIFY2(deniedSeen.contains("dev.hamlet.Error.NotAuthorized"), deniedSeen.constData());

        // The subscribed user sees all of it, but not another user's env.
        QVERIFY2(otherSeen.contains("subscribed"), otherSeen.constData());
        QVERIFY2(otherSeen.contains("/dev/hamlet/Helper1/instance/owned1 org.freedesktop.DBus.Properties."
                                    "PropertiesChanged dev.hamlet.Instance1 {Spec={"),
                 otherSeen.constData());
        QVERIFY2(otherSeen.contains("State=stopped"), otherSeen.constData());
        QVERIFY2(otherSeen.contains("dev.hamlet.Manager1.InstanceAdded passing1 container"), otherSeen.constData());
        QVERIFY2(otherSeen.contains("dev.hamlet.Manager1.InstanceRemoved passing1"), otherSeen.constData());
        QVERIFY2(otherSeen.contains("pids=100"), otherSeen.constData());
        QVERIFY2(!otherSeen.contains("hunter2"), otherSeen.constData());

        // Root, subscribed too, gets the env with the Spec.
        bool rootSawEnv = false;
        for (const QList<QVariant> &change : rootChanges)
            rootSawEnv |= specOf(change.at(1).toMap()).value(QStringLiteral("env")).toStringList().contains(Secret);
        QVERIFY(rootSawEnv);
    }

    void instanceWithoutRecordedOwner_isTreatedAsRoots()
    {
        // A record from before owners were recorded: only root and administrators act on it.
        m_system.stopHelper(SIGTERM);
        const QString path = m_system.stateDir() + QStringLiteral("/instances/hers1.json");
        QJsonObject record = QJsonDocument::fromJson(readFile(path)).object();
        QVERIFY(record.contains(QStringLiteral("ownerUid")));
        record.remove(QStringLiteral("ownerUid"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(QJsonDocument(record).toJson());
        file.close();
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_root = std::make_unique<HelperClient>(m_system.busAddress());

        const QVariantMap properties = instanceProperties(*m_root, QStringLiteral("hers1"));
        QCOMPARE(properties.value(QStringLiteral("OwnerRecorded")).toBool(), false);
        QCOMPARE(properties.value(QStringLiteral("Owner")).toUInt(), 0u);
        const Run byHer = ctl(TestSystem::OtherUser, {QStringLiteral("start"), QStringLiteral("hers1")});
        QVERIFY2(byHer.err.contains("dev.hamlet.Error.NotAuthorized"), byHer.err.constData());
        QCOMPARE(instanceState(*m_root, QStringLiteral("hers1")), QStringLiteral("stopped"));
        const Run byAdmin = ctl(TestSystem::AllowedUser, {QStringLiteral("delete"), QStringLiteral("hers1")});
        QVERIFY2(byAdmin.exitCode == 0, byAdmin.err.constData());
    }

    void cleanupTestCase()
    {
        const auto list = QCoro::waitFor(m_root->listInstances());
        if (const auto *instances = std::get_if<InstanceSummaryList>(&list))
            for (const InstanceSummary &summary : *instances)
                QCoro::waitFor(m_root->instanceCall(summary.name, QStringLiteral("Delete")));
    }
};

QTEST_GUILESS_MAIN(TestOwnership)
#include "tst_ownership.moc"
