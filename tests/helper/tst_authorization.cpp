// The helper on a real bus behind real polkitd: who may call what, and what a refusal leaves.
#include "capabilities.h"
#include "testsystem.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDirIterator>
#include <QDomDocument>
#include <QFile>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <unistd.h>

using Hamlet::Capabilities;
using Hamlet::Test::Run;
using Hamlet::Test::TestSystem;

namespace {

QMap<QString, QString> parseKeyValues(const QByteArray &output)
{
    QMap<QString, QString> values;
    for (const QByteArray &line : output.split('\n')) {
        const qsizetype colon = line.indexOf(": ");
        if (colon > 0)
            values.insert(QString::fromUtf8(line.left(colon)), QString::fromUtf8(line.mid(colon + 2)));
    }
    return values;
}

// What libvirt writes by itself under the embedded driver's root whenever it likes (the QEMU
// capability probe's qmp-* directories, its caches, run and log files): not the helper's to keep
// still. Domain definitions (libvirt/etc) are still compared.
bool writtenByLibvirtItself(const QString &dir, const QString &path)
{
    const QString relative = QDir(dir).relativeFilePath(path);
    for (const char *prefix : {"libvirt/cache", "libvirt/run", "libvirt/log"})
        if (relative == QLatin1String(prefix) || relative.startsWith(QLatin1String(prefix) + QLatin1Char('/')))
            return true;
    const QStringList components = relative.split(QLatin1Char('/'));
    return relative.startsWith(QLatin1String("libvirt/"))
        && std::any_of(components.cbegin(), components.cend(),
                       [](const QString &component) { return component.startsWith(QLatin1String("qmp-")); });
}

// Every file and directory the helper owns under dir with its size and content hash.
QStringList snapshot(const QString &dir)
{
    QStringList entries;
    QDirIterator it(dir, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (writtenByLibvirtItself(dir, path))
            continue;
        QFile file(path);
        QByteArray hash;
        if (it.fileInfo().isFile() && file.open(QIODevice::ReadOnly))
            hash = QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256).toHex();
        entries << path + QLatin1Char(' ') + QString::number(it.fileInfo().size()) + QLatin1Char(' ')
                + QString::fromLatin1(hash);
    }
    entries.sort();
    return entries;
}

int methodCount(const QString &xmlPath)
{
    QFile file(xmlPath);
    QDomDocument document;
    if (!file.open(QIODevice::ReadOnly) || !document.setContent(&file))
        return -1;
    return document.elementsByTagName(QStringLiteral("method")).size();
}

QString managerXml()
{
    return TestSystem::sourceDir() + QStringLiteral("/resources/dbus/dev.hamlet.Manager1.xml");
}

QString meminfoTotalBytes()
{
    QFile meminfo(QStringLiteral("/proc/meminfo"));
    meminfo.open(QIODevice::ReadOnly);
    const QByteArray line = meminfo.readLine(); // MemTotal:  24684092 kB
    return QString::number(line.simplified().split(' ').value(1).toULongLong() * 1024);
}

// Whether a kernel really boots under KVM here, found with the qemu command line, not the helper.
QString expectedVirtualization(const QString &kernel)
{
    QProcess shell;
    shell.start(QStringLiteral("sh"),
                {QStringLiteral("-c"),
                 QStringLiteral("timeout 8 qemu-system-x86_64 -accel kvm -m 128 -display none -no-reboot "
                                "-serial stdio -kernel '%1' -append 'console=ttyS0 earlyprintk=ttyS0 panic=-1' "
                                "2>&1 | grep -a -q -m1 'Linux version'")
                     .arg(kernel)});
    shell.waitForFinished(15000);
    return shell.exitCode() == 0 ? QStringLiteral("kvm") : QStringLiteral("tcg");
}

} // namespace

class TestAuthorization : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "the helper tests run as root (they start polkitd and the helper)");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
    }

    void allowedCallerGetsEveryCapability()
    {
        const Run run
            = m_system.run(TestSystem::AllowedUser, TestSystem::ctlProgram(), {QStringLiteral("capabilities")});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto values = parseKeyValues(run.out);
        for (const QString &key : Capabilities::keys())
            QVERIFY2(values.contains(key), qPrintable(QStringLiteral("missing key ") + key));

        // The values match this machine, found here by other means than the helper's.
        const bool unifiedOnly = QFile::exists(QStringLiteral("/sys/fs/cgroup/cgroup.controllers"));
        const bool hybrid = QFile::exists(QStringLiteral("/sys/fs/cgroup/unified/cgroup.controllers"));
        QCOMPARE(values[QStringLiteral("cgroupVersion")],
                 unifiedOnly  ? QStringLiteral("v2")
                     : hybrid ? QStringLiteral("hybrid")
                              : QStringLiteral("v1"));
        QVERIFY2(
            values[QStringLiteral("runtime")].endsWith(unifiedOnly ? QStringLiteral("crun") : QStringLiteral("runc")),
            qPrintable(values[QStringLiteral("runtime")]));
        QVERIFY(values[QStringLiteral("runtimeVersion")].contains(QStringLiteral("version")));
        // CVE-2024-21626: a warning exactly when this host's runc lacks the fix (Debian 12's
        // 1.1.5+ds1-1+deb12u1 carries it), found with dpkg here.
        QProcess dpkg;
        dpkg.start(QStringLiteral("sh"),
                   {QStringLiteral("-c"),
                    QStringLiteral("dpkg --compare-versions \"$(dpkg-query -W -f='${Version}' "
                                   "runc)\" ge 1.1.5+ds1-1+deb12u1")});
        QVERIFY(dpkg.waitForFinished(10000));
        const bool fixed = dpkg.exitCode() == 0 || !values[QStringLiteral("runtime")].endsWith(QStringLiteral("runc"));
        QCOMPARE(values[QStringLiteral("runtimeWarning")].isEmpty(), fixed);
        QVERIFY(values[QStringLiteral("libvirtUri")].startsWith(QStringLiteral("qemu:///")));
        QCOMPARE(values[QStringLiteral("hostCpus")], QString::number(QThread::idealThreadCount()));
        QCOMPARE(values[QStringLiteral("hostMemory")], meminfoTotalBytes());
        QVERIFY(QFile::exists(values[QStringLiteral("busybox")]));
        const QString kernel = values[QStringLiteral("kernel")];
        QVERIFY2(kernel.startsWith(QStringLiteral("/boot/vmlinuz-")), qPrintable(kernel));
        QCOMPARE(values[QStringLiteral("virtualization")], expectedVirtualization(kernel));
        if (values[QStringLiteral("virtualization")] == QStringLiteral("tcg"))
            QVERIFY2(!values[QStringLiteral("kvmDiagnosis")].isEmpty(), "TCG must come with a reason");
    }

    void rootIsAllowed()
    {
        const Run run = m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("list")});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(run.out, QByteArray()); // no instances yet
    }

    void deniedCallerIsRefusedEveryMethodAndNothingChanges_data()
    {
        QTest::addColumn<QString>("user");
        QTest::newRow("denied by rule") << TestSystem::DeniedUser;
        QTest::newRow("no rule, no session") << QStringLiteral("nobody");
    }
    void deniedCallerIsRefusedEveryMethodAndNothingChanges()
    {
        QFETCH(QString, user);
        const QStringList before = snapshot(m_system.stateDir());
        const Run run = m_system.run(user, TestSystem::callerProgram(),
                                     {QStringLiteral("--bus"), m_system.busAddress(), QStringLiteral("--object"),
                                      QStringLiteral("/dev/hamlet/Helper1"), QStringLiteral("--xml"), managerXml()});
        QVERIFY2(run.exitCode == 0, run.out.constData());
        const QList<QByteArray> lines = run.out.trimmed().split('\n');
        QCOMPARE(lines.size(), methodCount(managerXml()));
        for (const QByteArray &line : lines) {
            // The caller passes "" as the name: a name that can never be valid is refused before
            // polkit is asked (no password prompt for a request that cannot succeed).
            if (line.startsWith("dev.hamlet.Manager1.Create"))
                QVERIFY2(line.endsWith(" dev.hamlet.Error.InvalidArgument"), line.constData());
            else
                QVERIFY2(line.endsWith(" dev.hamlet.Error.NotAuthorized"), line.constData());
        }
        QCOMPARE(snapshot(m_system.stateDir()), before);
    }

    void allowedCallerReachesEveryMethod()
    {
        const Run run = m_system.run(TestSystem::AllowedUser, TestSystem::callerProgram(),
                                     {QStringLiteral("--bus"), m_system.busAddress(), QStringLiteral("--object"),
                                      QStringLiteral("/dev/hamlet/Helper1"), QStringLiteral("--xml"), managerXml()});
        QVERIFY2(run.exitCode == 0, run.out.constData());
        QVERIFY2(!run.out.contains("NotAuthorized"), run.out.constData());
    }

    void polkitMayPromptOnlyWhenTheCallAllowsIt()
    {
        // Root may monitor the test bus: every CheckAuthorization the helper sends is seen.
        auto monitor
            = m_system.spawn({}, QStringLiteral("stdbuf"),
                             {QStringLiteral("-oL"), QStringLiteral("dbus-monitor"), QStringLiteral("--address"),
                              m_system.busAddress(), QStringLiteral("type='method_call',member='CheckAuthorization'")});
        QByteArray seen;
        QDeadlineTimer ready(10000);
        while (!seen.contains("NameLost") && !ready.hasExpired()) { // monitoring from here on
            monitor->waitForReadyRead(100);
            seen += monitor->readAllStandardOutput();
        }
        QVERIFY2(seen.contains("NameLost"), seen.constData());
        // hamlet-test-caller sends without ALLOW_INTERACTIVE_AUTHORIZATION; hamletctl (HelperClient,
        // the window's client too) sends its image, create and instance calls with it.
        m_system.run(TestSystem::AllowedUser, TestSystem::callerProgram(),
                     {QStringLiteral("--bus"), m_system.busAddress(), QStringLiteral("--object"),
                      QStringLiteral("/dev/hamlet/Helper1"), QStringLiteral("--xml"), managerXml(),
                      QStringLiteral("--method"), QStringLiteral("GetCapabilities")});
        const Run remove = m_system.run(TestSystem::AllowedUser, TestSystem::ctlProgram(),
                                        {QStringLiteral("rmi"), QStringLiteral("nosuchimage")});
        QVERIFY2(remove.err.contains("dev.hamlet.Error.NotFound"), remove.err.constData());
        QTest::qWait(500);
        monitor->terminate();
        monitor->waitForFinished(5000);
        seen += monitor->readAllStandardOutput();
        const qsizetype capabilities = seen.indexOf("\"GetCapabilities\"");
        const qsizetype stopping = seen.indexOf("\"RemoveImage\"");
        QVERIFY2(capabilities > 0 && stopping > 0, seen.constData());
        // The flags argument follows the details of each call.
        QCOMPARE(seen.mid(seen.indexOf("uint32", capabilities), 8), QByteArray("uint32 0"));
        QCOMPARE(seen.mid(seen.indexOf("uint32", stopping), 8), QByteArray("uint32 1"));
    }

    void callerLeavingWhileAuthorizationPendsCausesNoWork()
    {
        const qsizetype subscriptionsBefore = m_system.helperLog().count(QStringLiteral(" Subscribe\n"));
        const Run run = m_system.run(TestSystem::SlowUser, TestSystem::callerProgram(),
                                     {QStringLiteral("--bus"), m_system.busAddress(), QStringLiteral("--object"),
                                      QStringLiteral("/dev/hamlet/Helper1"), QStringLiteral("--xml"), managerXml(),
                                      QStringLiteral("--method"), QStringLiteral("Subscribe"),
                                      QStringLiteral("--no-wait"), QStringLiteral("500")});
        QCOMPARE(run.exitCode, 0);
        // polkitd has looked the caller up within the 500 ms it lingers; the rule answers after 2 s,
        // when the caller is gone, and the helper must drop the call.
        QTRY_VERIFY_WITH_TIMEOUT(
            m_system.helperLog().contains(QStringLiteral("left the bus before Subscribe was authorized")), 10000);
        QCOMPARE(m_system.helperLog().count(QStringLiteral(" Subscribe\n")), subscriptionsBefore);
        QVERIFY(m_system.helperRunning());
        const Run after = m_system.run(TestSystem::AllowedUser, TestSystem::ctlProgram(), {QStringLiteral("list")});
        QCOMPARE(after.exitCode, 0);
    }

    void helperWithoutPolkitRefusesEverything()
    {
        // Any failure to get an answer from polkit is a denial.
        TestSystem bare;
        QVERIFY2(bare.startBus(TestSystem::WithoutPolkit), qPrintable(bare.error()));
        QVERIFY2(bare.startHelper(), qPrintable(bare.error()));
        const Run run = bare.run(TestSystem::AllowedUser, TestSystem::ctlProgram(), {QStringLiteral("capabilities")});
        QVERIFY(run.exitCode != 0);
        QVERIFY2(run.err.contains("dev.hamlet.Error.NotAuthorized"), run.err.constData());
        QVERIFY2(run.err.contains("polkitd"), run.err.constData());
    }

    void absentHelperIsExplained()
    {
        TestSystem bare;
        QVERIFY2(bare.startBus(TestSystem::WithoutPolkit), qPrintable(bare.error()));
        const Run run = bare.run(TestSystem::AllowedUser, TestSystem::ctlProgram(), {QStringLiteral("capabilities")});
        QVERIFY(run.exitCode != 0);
        QVERIFY2(run.err.contains("org.freedesktop.DBus.Error.ServiceUnknown"), run.err.constData());
        QVERIFY2(run.err.contains("hamlet-helper"), run.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestAuthorization)
#include "tst_authorization.moc"
