#include "capabilities.h"
#include "dbusnames.h"

#include <QTest>

using Hamlet::Capabilities;

class TestCapabilities : public QObject
{
    Q_OBJECT
private:
    static Capabilities sample()
    {
        Capabilities caps;
        caps.version = QStringLiteral("0.1.0");
        caps.runtime = QStringLiteral("/usr/sbin/runc");
        caps.runtimeVersion = QStringLiteral("runc version 1.1.5+ds1");
        caps.cgroupVersion = QStringLiteral("hybrid");
        caps.libvirtUri = QStringLiteral("qemu:///embed?root=/var/lib/hamlet/libvirt");
        caps.virtualization = QStringLiteral("tcg");
        caps.kvmDiagnosis = QStringLiteral("a test VM under KVM did not boot within 6 s");
        caps.busybox = QStringLiteral("/usr/bin/busybox");
        caps.kernel = QStringLiteral("/boot/vmlinuz-6.1.0-56-cloud-amd64");
        caps.hostCpus = 2;
        caps.hostMemory = 25276510208ULL;
        return caps;
    }

private Q_SLOTS:
    void roundTripsThroughVariantMap()
    {
        const Capabilities caps = sample();
        const QVariantMap map = caps.toVariantMap();
        QCOMPARE(map.keys().size(), Capabilities::keys().size());
        for (const QString &key : Capabilities::keys())
            QVERIFY2(map.contains(key), qPrintable(key));
        QCOMPARE(Capabilities::fromVariantMap(map), caps);
    }

    void summaryNamesRuntimeCgroupsLibvirtAndAccelerator()
    {
        QCOMPARE(sample().summary(), QStringLiteral("runc 1.1.5+ds1 · cgroup hybrid · libvirt embedded · TCG"));
    }

    void diagnosesExplainTcgAndMissingPieces()
    {
        Capabilities caps = sample();
        QStringList diagnoses = caps.diagnoses();
        QCOMPARE(diagnoses.size(), 1);
        QVERIFY(diagnoses.first().startsWith(QStringLiteral("KVM unavailable: VMs run slower under TCG")));
        QVERIFY(diagnoses.first().contains(caps.kvmDiagnosis));

        caps.virtualization = QStringLiteral("kvm");
        caps.runtime.clear();
        caps.busybox.clear();
        diagnoses = caps.diagnoses();
        QCOMPARE(diagnoses.size(), 2);
        QVERIFY(diagnoses.at(0).contains(QStringLiteral("install the 'runc'")));
        QVERIFY(diagnoses.at(1).contains(QStringLiteral("busybox-static")));
    }

    void instancePathsEscapeAndRoundTrip()
    {
        const QString path = Hamlet::Bus::instancePath(QStringLiteral("web-1.a_b"));
        QCOMPARE(path, QStringLiteral("/dev/hamlet/Helper1/instance/web_2d1_2ea_5fb"));
        QCOMPARE(Hamlet::Bus::instanceNameFromPath(path), QStringLiteral("web-1.a_b"));
        QCOMPARE(Hamlet::Bus::instanceNameFromPath(QStringLiteral("/elsewhere/x")), QString());
    }
};

QTEST_GUILESS_MAIN(TestCapabilities)
#include "tst_capabilities.moc"
