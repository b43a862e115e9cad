#include "domainfacts.h"
#include "domainxml.h"
#include "hostprobe.h"
#include "tinyinitramfs.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryFile>
#include <QTest>

using namespace Hamlet::Vms;

// The domain XML builder against golden files, one per source. A golden file changes only on
// purpose: run with HAMLET_UPDATE_GOLDEN=1 to rewrite them, then review the diff.
class TestDomainXml : public QObject
{
    Q_OBJECT

    // A row is a source, optionally with its network ("tiny-nat"); without one, network none.
    static VmSpec specFor(const QString &row)
    {
        const QString source = row.section(QLatin1Char('-'), 0, 0);
        VmSpec spec = specWithoutNetwork(source);
        if (row.endsWith(QStringLiteral("-nat"))) {
            spec.network = VmNetwork::Nat;
            spec.bridge = QStringLiteral("hamlet0");
            spec.mac = QStringLiteral("52:54:00:12:34:56");
        } else if (row.endsWith(QStringLiteral("-user"))) {
            spec.network = VmNetwork::User;
        }
        return spec;
    }

    static VmSpec specWithoutNetwork(const QString &source)
    {
        VmSpec spec;
        spec.source = *parseVmSource(source);
        if (source == QStringLiteral("tiny")) {
            spec.name = QStringLiteral("tiny1");
            spec.memoryBytes = 128ULL << 20;
            spec.vcpus = 1;
            spec.maxVcpus = 2;
            spec.kernelPath = QStringLiteral("/boot/vmlinuz-6.1.0-56-cloud-amd64");
            spec.initrdPath = QStringLiteral("/var/lib/hamlet/vms/tiny-initramfs.img");
            spec.cmdline = TinyInitramfs::KernelCommandLine;
        } else if (source == QStringLiteral("iso")) {
            spec.name = QStringLiteral("installer");
            spec.memoryBytes = 2ULL << 30;
            spec.vcpus = 2;
            spec.isoPath = QStringLiteral("/srv/iso/debian-12.iso");
            spec.diskPath = QStringLiteral("/var/lib/hamlet/vms/disks/installer.qcow2");
            spec.diskFormat = DiskFormat::Qcow2;
            spec.diskSizeBytes = 20ULL << 30;
            spec.diskOwnedByHamlet = true;
            spec.osVariant = QStringLiteral("debian12");
        } else if (source == QStringLiteral("disk")) {
            spec.name = QStringLiteral("appliance");
            spec.accelerator = Accelerator::Kvm;
            spec.memoryBytes = 1ULL << 30;
            spec.vcpus = 1;
            spec.diskPath = QStringLiteral("/srv/images/appliance.img");
            spec.diskFormat = DiskFormat::Raw;
        } else {
            spec.name = QStringLiteral("direct");
            spec.memoryBytes = 256ULL << 20;
            spec.vcpus = 1;
            spec.kernelPath = QStringLiteral("/srv/kernels/vmlinuz");
            spec.initrdPath = QStringLiteral("/srv/kernels/initrd.img");
            spec.cmdline = QStringLiteral("console=ttyS0 note=\"a&b<c>\"");
            spec.ownerUid = 1000;
            spec.guestFilesDir = QStringLiteral("/run/hamlet-vmfiles/direct");
        }
        return spec;
    }

    static QString goldenPath(const QString &source)
    {
        return QStringLiteral(HAMLET_VMS_GOLDEN_DIR "/%1.xml").arg(source);
    }

private Q_SLOTS:
    void domainXml_matchesGoldenFile_data()
    {
        QTest::addColumn<QString>("source");
        for (const char *source : {"tiny", "iso", "disk", "kernel", "tiny-nat", "iso-user"})
            QTest::newRow(source) << QString::fromLatin1(source);
    }
    void domainXml_matchesGoldenFile()
    {
        QFETCH(QString, source);
        const QString actual = domainXml(specFor(source));
        if (qEnvironmentVariableIsSet("HAMLET_UPDATE_GOLDEN")) {
            QFile out(goldenPath(source));
            QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
            out.write(actual.toUtf8());
        }
        QFile golden(goldenPath(source));
        QVERIFY2(golden.open(QIODevice::ReadOnly), qPrintable(goldenPath(source)));
        const QString expected = QString::fromUtf8(golden.readAll());
        if (actual != expected) {
            const QString outputDir = qEnvironmentVariable("HAMLET_TEST_OUTPUT", QDir::tempPath());
            QDir().mkpath(outputDir);
            QFile out(outputDir + QStringLiteral("/domainxml-%1.xml").arg(source));
            if (out.open(QIODevice::WriteOnly | QIODevice::Truncate))
                out.write(actual.toUtf8());
            QFAIL(qPrintable(QStringLiteral("%1 differs from %2; the actual XML is in %3")
                                 .arg(source, goldenPath(source), out.fileName())));
        }
    }

    void domainXml_isValidForLibvirtsSchema_data() { domainXml_matchesGoldenFile_data(); }
    void domainXml_isValidForLibvirtsSchema()
    {
        QFETCH(QString, source);
        const QString validator = QStandardPaths::findExecutable(QStringLiteral("virt-xml-validate"));
        QVERIFY2(!validator.isEmpty(), "virt-xml-validate not found: install the 'libvirt-clients' package");
        QTemporaryFile file;
        QVERIFY(file.open());
        file.write(domainXml(specFor(source)).toUtf8());
        file.flush();
        QProcess process;
        process.start(validator, {file.fileName(), QStringLiteral("domain")});
        QVERIFY(process.waitForFinished(30000));
        QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    }

    void domainType_followsAccelerator()
    {
        VmSpec spec = specFor(QStringLiteral("tiny"));
        QVERIFY(domainXml(spec).contains(QStringLiteral("<domain type=\"qemu\">")));
        spec.accelerator = Accelerator::Kvm;
        QVERIFY(domainXml(spec).contains(QStringLiteral("<domain type=\"kvm\">")));
    }

    void onlyIsoAndDiskVms_getVncWithoutListeningSocket()
    {
        for (const QString &source : {QStringLiteral("iso"), QStringLiteral("disk")}) {
            const QString xml = domainXml(specFor(source));
            QVERIFY(xml.contains(QStringLiteral("<graphics type=\"vnc\" autoport=\"no\">")));
            QVERIFY(xml.contains(QStringLiteral("<listen type=\"none\"/>")));
        }
        for (const QString &source : {QStringLiteral("tiny"), QStringLiteral("kernel")})
            QVERIFY(!domainXml(specFor(source)).contains(QStringLiteral("<graphics")));
    }

    void parseDomainFacts_readsBackWhatTheBuilderWrote()
    {
        const VmSpec spec = specFor(QStringLiteral("iso"));
        const DomainFacts facts = parseDomainFacts(domainXml(spec));
        QCOMPARE(facts.domainType, QStringLiteral("qemu"));
        QCOMPARE(facts.accelerator(), QStringLiteral("tcg"));
        QCOMPARE(facts.machine, QStringLiteral("q35"));
        QCOMPARE(facts.memoryBytes, spec.memoryBytes);
        QCOMPARE(facts.vcpus, 2u);
        QCOMPARE(facts.maxVcpus, 2u);
        QVERIFY(facts.hasGraphics);
        QCOMPARE(facts.hamletSource, QStringLiteral("iso"));
        QCOMPARE(facts.hamletOwnedDisk, spec.diskPath);
        QCOMPARE(facts.osVariant, QStringLiteral("debian12"));
        QCOMPARE(facts.disks.size(), 2);
        QCOMPARE(facts.disks.at(0).device, QStringLiteral("disk"));
        QCOMPARE(facts.disks.at(0).source, spec.diskPath);
        QCOMPARE(facts.disks.at(0).format, QStringLiteral("qcow2"));
        QCOMPARE(facts.disks.at(1).device, QStringLiteral("cdrom"));
        QCOMPARE(facts.disks.at(1).source, spec.isoPath);
    }

    void parseDomainFacts_keepsKernelCommandLineExactly()
    {
        const VmSpec spec = specFor(QStringLiteral("kernel"));
        const DomainFacts facts = parseDomainFacts(domainXml(spec));
        // QEMU boots the staged copies; the metadata keeps what the owner gave, and whose it is.
        QCOMPARE(facts.kernel, spec.guestFilesDir + QStringLiteral("/kernel"));
        QCOMPARE(facts.initrd, spec.guestFilesDir + QStringLiteral("/initrd"));
        QCOMPARE(facts.givenKernel, spec.kernelPath);
        QCOMPARE(facts.givenInitrd, spec.initrdPath);
        QCOMPARE(facts.ownerUid.value_or(0), 1000u);
        QCOMPARE(facts.cmdline, spec.cmdline);
        QVERIFY(facts.hamletOwnedDisk.isEmpty());
        const DomainFacts tiny = parseDomainFacts(domainXml(specFor(QStringLiteral("tiny"))));
        QCOMPARE(tiny.vcpus, 1u);
        QCOMPARE(tiny.maxVcpus, 2u);
    }

    void kernelRelease_isReadFromTheBootHeader()
    {
        const QString kernel = Hamlet::HostProbe::findBootableKernel();
        QVERIFY2(!kernel.isEmpty(), "no kernel in /boot");
        // Debian names its images after their release: vmlinuz-<release>.
        QCOMPARE(kernelReleaseOf(kernel), QFileInfo(kernel).fileName().mid(int(qstrlen("vmlinuz-"))));
        QCOMPARE(kernelReleaseOf(QStringLiteral(HAMLET_VMS_GOLDEN_DIR "/tiny.xml")), QString());
    }

    void parseDomainFacts_readsTheNetworkBack()
    {
        const DomainFacts nat = parseDomainFacts(domainXml(specFor(QStringLiteral("tiny-nat"))));
        QCOMPARE(nat.network, QStringLiteral("nat"));
        QCOMPARE(nat.mac, QStringLiteral("52:54:00:12:34:56"));
        QCOMPARE(nat.bridge, QStringLiteral("hamlet0"));
        const DomainFacts none = parseDomainFacts(domainXml(specFor(QStringLiteral("tiny"))));
        QVERIFY(none.network.isEmpty());
        QVERIFY(none.mac.isEmpty());
        QVERIFY(!domainXml(specFor(QStringLiteral("tiny"))).contains(QStringLiteral("<interface")));
    }
    void userDisk_isNeverMarkedAsHamlets()
    {
        const DomainFacts facts = parseDomainFacts(domainXml(specFor(QStringLiteral("disk"))));
        QVERIFY(facts.hamletOwnedDisk.isEmpty());
        QCOMPARE(facts.hamletSource, QStringLiteral("disk"));
    }
};

QTEST_GUILESS_MAIN(TestDomainXml)
#include "tst_domainxml.moc"
