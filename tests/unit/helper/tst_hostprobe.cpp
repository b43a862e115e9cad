#include "hostprobe.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Hamlet;

class TestHostProbe : public QObject
{
    Q_OBJECT
private:
    // The cgroup layout as /proc/self/mountinfo tells it, independently of statfs.
    static QString cgroupLayoutFromMountinfo()
    {
        QFile mountinfo(QStringLiteral("/proc/self/mountinfo"));
        if (!mountinfo.open(QIODevice::ReadOnly))
            return {};
        bool rootIsV2 = false;
        bool unifiedIsV2 = false;
        for (const QByteArray &line : mountinfo.readAll().split('\n')) {
            const QList<QByteArray> fields = line.split(' ');
            const qsizetype separator = fields.indexOf("-");
            if (separator < 0 || separator + 1 >= fields.size())
                continue;
            const QByteArray mountPoint = fields.value(4);
            const QByteArray type = fields.value(separator + 1);
            if (mountPoint == "/sys/fs/cgroup" && type == "cgroup2")
                rootIsV2 = true;
            if (mountPoint == "/sys/fs/cgroup/unified" && type == "cgroup2")
                unifiedIsV2 = true;
        }
        return rootIsV2 ? QStringLiteral("v2") : unifiedIsV2 ? QStringLiteral("hybrid") : QStringLiteral("v1");
    }

    static void writeFile(const QString &path, const QByteArray &content)
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(content);
    }

private Q_SLOTS:
    void cgroupVersionMatchesMountTable() { QCOMPARE(HostProbe::cgroupVersion(), cgroupLayoutFromMountinfo()); }

    void runtimeChoiceFollowsCgroups()
    {
        const QString onThisHost = HostProbe::chooseRuntime(HostProbe::cgroupVersion());
        QVERIFY2(!onThisHost.isEmpty(), "runc or crun must be installed for the tests");
        QVERIFY(HostProbe::chooseRuntime(QStringLiteral("hybrid")).endsWith(QStringLiteral("/runc")));
        QVERIFY(HostProbe::chooseRuntime(QStringLiteral("v1")).endsWith(QStringLiteral("/runc")));
        QVERIFY(HostProbe::runtimeVersion(onThisHost).contains(QStringLiteral("version")));
    }

    void staticElfDetection()
    {
        QVERIFY(HostProbe::isStaticElf(QStringLiteral("/bin/busybox")));
        QVERIFY(!HostProbe::isStaticElf(QStringLiteral("/bin/ls"))); // dynamically linked
        QVERIFY(!HostProbe::isStaticElf(QStringLiteral("/etc/passwd"))); // not ELF
        QVERIFY(!HostProbe::findStaticBusybox().isEmpty());
    }

    void kernelMustCarryBootSignature()
    {
        QTemporaryDir boot;
        QByteArray bzImage(0x400, '\0');
        bzImage.replace(0x202, 4, "HdrS");
        writeFile(boot.filePath(QStringLiteral("vmlinuz-6.1.0-9-amd64")), bzImage);
        writeFile(boot.filePath(QStringLiteral("vmlinuz-6.1.0-10-amd64")), QByteArray(0x400, 'x')); // newer, broken
        QCOMPARE(HostProbe::findBootableKernel(boot.path()), boot.filePath(QStringLiteral("vmlinuz-6.1.0-9-amd64")));
        writeFile(boot.filePath(QStringLiteral("vmlinuz-6.1.0-11-amd64")), bzImage); // newest, good
        QCOMPARE(HostProbe::findBootableKernel(boot.path()), boot.filePath(QStringLiteral("vmlinuz-6.1.0-11-amd64")));
        QTemporaryDir empty;
        QCOMPARE(HostProbe::findBootableKernel(empty.path()), QString());
    }

    void libvirtFallsBackToEmbeddedWithoutDaemon()
    {
        if (QFile::exists(QStringLiteral("/run/libvirt/libvirt-sock")))
            QCOMPARE(HostProbe::libvirtUri(QStringLiteral("/x")).left(14), QStringLiteral("qemu:///system"));
        else
            QCOMPARE(HostProbe::libvirtUri(QStringLiteral("/x")), QStringLiteral("qemu:///embed?root=/x/libvirt"));
    }

    void kvmVerdictIsCachedPerBoot()
    {
        QTemporaryDir dir;
        const QString cache = dir.filePath(QStringLiteral("probe"));
        QString why;
        const bool first = HostProbe::kvmWorks(HostProbe::findBootableKernel(), cache, &why);
        QVERIFY(QFile::exists(cache));
        QVERIFY2(first || !why.isEmpty(), "a KVM refusal must say why");
        QString again;
        QCOMPARE(HostProbe::kvmWorks(HostProbe::findBootableKernel(), cache, &again), first);
        QCOMPARE(again, why);
    }
};

QTEST_GUILESS_MAIN(TestHostProbe)
#include "tst_hostprobe.moc"
