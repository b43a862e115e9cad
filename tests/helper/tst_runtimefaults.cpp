// Issue 15, "the parts it depends on die": the OCI runtime fails or hangs. The helper runs a
// runtime of the test's own: a script that passes every call to the real runc except `run`,
// which it fails (exit 1 with an error in its JSON log, as runc does) or hangs (sleeps), as the
// test asks. A failing runtime gives a named error with its message; a hung one is killed after
// twice --runtime-timeout (3 s here: create and run get twice a verb's time) and the call fails
// saying so; in both cases nothing is left (no mount, cgroup, runtime state or
// process) and the same name works once the runtime does.
#include "helperfootprint.h"

#include <QElapsedTimer>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

class TestRuntimeFaults : public QObject
{
    Q_OBJECT

    TestSystem m_system;
    QTemporaryDir m_dir;
    std::unique_ptr<HelperClient> m_client;

    QString modeFile() const { return m_dir.filePath(QStringLiteral("mode")); }

    void setMode(const QByteArray &mode)
    {
        QFile file(modeFile());
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(mode);
    }

    QString create(const QString &name)
    {
        const QVariantMap spec {
            {QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("60")}}};
        return createAndWait(*m_client, QStringLiteral("container"), name, spec);
    }

    // After a failed create: the container is listed as failed with the reason (as the contract
    // says), holds nothing, and Delete takes what is left.
    void checkNothingHeldAndDelete(const QString &name)
    {
        QCOMPARE(instanceState(*m_client, name), QStringLiteral("failed"));
        QCOMPARE(mountsUnder(m_system), 0);
        QCOMPARE(cgroupsUnder(m_system.stateDir()), 0);
        QVERIFY(!QFileInfo::exists(m_system.runDir() + QStringLiteral("/runc/") + name));
        QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete")))));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        const QString runc = QStandardPaths::findExecutable(QStringLiteral("runc"));
        QVERIFY2(!runc.isEmpty(), "install runc");
        const QString script = m_dir.filePath(QStringLiteral("faulty-runtime"));
        QFile file(script);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(
            QStringLiteral(
                "#!/bin/sh\n"
                "log=; next=; for a in \"$@\"; do\n"
                "  [ \"$next\" = log ] && log=$a; next=; [ \"$a\" = --log ] && next=log\n"
                "  [ \"$a\" = run ] && verb=run; done\n"
                "mode=$(cat '%1' 2>/dev/null)\n"
                "if [ \"$verb\" = run ] && [ \"$mode\" = fail ]; then\n"
                "  echo '{\"level\":\"error\",\"msg\":\"faulty-runtime: cannot start containers today\"}' >\"$log\"\n"
                "  exit 1; fi\n"
                "if [ \"$verb\" = run ] && [ \"$mode\" = hang ]; then exec sleep 617; fi\n"
                "exec '%2' \"$@\"\n")
                .arg(modeFile(), runc)
                .toUtf8());
        file.close();
        QVERIFY(file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(
                     {QStringLiteral("--runtime"), script, QStringLiteral("--runtime-timeout"), QStringLiteral("3")}),
                 qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
    }

    void failingRuntime_namedErrorWithItsMessage_nothingLeft()
    {
        setMode("fail");
        const QString failure = create(QStringLiteral("rt-fail"));
        QVERIFY2(failure.startsWith(QStringLiteral("dev.hamlet.Error.Failed: ")), qPrintable(failure));
        QVERIFY2(failure.contains(QStringLiteral("cannot start containers today")), qPrintable(failure));
        checkNothingHeldAndDelete(QStringLiteral("rt-fail"));
    }

    void hungRuntime_killedAfterTheTimeout_nothingLeft()
    {
        setMode("hang");
        QElapsedTimer timer;
        timer.start();
        const QString failure = create(QStringLiteral("rt-hang"));
        const qint64 took = timer.elapsed();
        qInfo("a hung runtime: the create failed after %lld ms: %s", static_cast<long long>(took), qPrintable(failure));
        QVERIFY2(failure.contains(QStringLiteral("did not finish within 6 s")), qPrintable(failure));
        QVERIFY2(took < 15000, qPrintable(QString::number(took)));
        // The hung runtime was killed, not left sleeping.
        const Run left
            = m_system.run({}, QStringLiteral("pgrep"), {QStringLiteral("-f"), QStringLiteral("^sleep 617$")});
        QVERIFY2(left.out.trimmed().isEmpty(), left.out.constData());
        checkNothingHeldAndDelete(QStringLiteral("rt-hang"));
    }

    void theSameNameWorksOnceTheRuntimeDoes()
    {
        setMode("work");
        for (const QString &name : {QStringLiteral("rt-fail"), QStringLiteral("rt-hang")}) {
            QCOMPARE(create(name), QString());
            QCOMPARE(instanceState(*m_client, name), QStringLiteral("running"));
            QVERIFY(
                std::holds_alternative<bool>(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete")))));
        }
        QCOMPARE(mountsUnder(m_system), 0);
        QCOMPARE(cgroupsUnder(m_system.stateDir()), 0);
    }
};

QTEST_GUILESS_MAIN(TestRuntimeFaults)
#include "tst_runtimefaults.moc"
