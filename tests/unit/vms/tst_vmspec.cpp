#include "vmspec.h"

#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Hamlet;
using namespace Hamlet::Vms;

// Fails with the refusal's message when a spec that should pass does not.
#define VERIFY_ACCEPTED(spec, host)                                                                                    \
    do {                                                                                                               \
        const std::optional<ErrorReply> problem_ = vmSpecProblem(spec, host);                                          \
        QVERIFY2(!problem_, problem_ ? qPrintable(problem_->message) : "");                                            \
    } while (false)

// Validation of what CreateVm receives: every refusal is InvalidArgument (or Unsupported for
// what the host cannot do) with a message naming the thing, and valid specs pass.
class TestVmSpec : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_kernel;
    QString m_iso;
    QString m_disk;
    const HostLimits m_host {8ULL << 30, 4, false};

    QString writeFile(const QString &name, const QByteArray &contents)
    {
        QFile file(m_dir.filePath(name));
        file.open(QIODevice::WriteOnly);
        file.write(contents);
        return file.fileName();
    }

    VmSpec tinySpec() const
    {
        VmSpec spec;
        spec.name = QStringLiteral("tiny1");
        spec.source = VmSource::Tiny;
        spec.memoryBytes = 128ULL << 20;
        spec.vcpus = 1;
        spec.kernelPath = m_kernel;
        return spec;
    }

    static QString problemName(const VmSpec &spec, const HostLimits &host)
    {
        const std::optional<ErrorReply> problem = vmSpecProblem(spec, host);
        return problem ? problem->name : QString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_kernel = writeFile(QStringLiteral("vmlinuz"), "kernel bytes");
        m_iso = writeFile(QStringLiteral("installer.iso"), "CD001");
        m_disk = writeFile(QStringLiteral("disk.qcow2"), QByteArray("QFI\xfb\0\0\0\3", 8));
    }

    void validTinySpec_isAccepted() { VERIFY_ACCEPTED(tinySpec(), m_host); }

    void badNames_areRefusedAsInvalidArgument_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("empty") << QString();
        QTest::newRow("slash") << QStringLiteral("a/b");
        QTest::newRow("dot-dot") << QStringLiteral("..");
        QTest::newRow("leading dash") << QStringLiteral("-vm");
        QTest::newRow("too long") << QString(64, QLatin1Char('a'));
    }
    void badNames_areRefusedAsInvalidArgument()
    {
        QFETCH(QString, name);
        VmSpec spec = tinySpec();
        spec.name = name;
        QCOMPARE(problemName(spec, m_host), Error::InvalidArgument);
    }

    void memoryZeroOrAboveHost_isRefused()
    {
        VmSpec spec = tinySpec();
        spec.memoryBytes = 0;
        QCOMPARE(problemName(spec, m_host), Error::InvalidArgument);
        spec.memoryBytes = m_host.memoryBytes + 1;
        const std::optional<ErrorReply> problem = vmSpecProblem(spec, m_host);
        QVERIFY(problem);
        QCOMPARE(problem->name, Error::InvalidArgument);
        QVERIFY2(problem->message.contains(QStringLiteral("8.0 GiB")), qPrintable(problem->message));
        spec.memoryBytes = m_host.memoryBytes;
        VERIFY_ACCEPTED(spec, m_host);
    }

    void vcpusZeroOrAboveHost_isRefused()
    {
        VmSpec spec = tinySpec();
        spec.vcpus = 0;
        QCOMPARE(problemName(spec, m_host), Error::InvalidArgument);
        spec.vcpus = m_host.cpus + 1;
        QCOMPARE(problemName(spec, m_host), Error::InvalidArgument);
        spec.vcpus = m_host.cpus;
        VERIFY_ACCEPTED(spec, m_host);
        spec.vcpus = 1;
        spec.maxVcpus = m_host.cpus + 1;
        QCOMPARE(problemName(spec, m_host), Error::InvalidArgument);
    }

    void kvmOnHostWithoutKvm_isUnsupported()
    {
        VmSpec spec = tinySpec();
        spec.accelerator = Accelerator::Kvm;
        QCOMPARE(problemName(spec, m_host), Error::Unsupported);
        const HostLimits kvmHost {m_host.memoryBytes, m_host.cpus, true};
        VERIFY_ACCEPTED(spec, kvmHost);
    }

    void missingFiles_areRefused_data()
    {
        QTest::addColumn<int>("source");
        QTest::addColumn<QString>("field");
        QTest::newRow("kernel") << int(VmSource::Kernel) << QStringLiteral("kernel");
        QTest::newRow("initrd") << int(VmSource::Kernel) << QStringLiteral("initrd");
        QTest::newRow("iso") << int(VmSource::Iso) << QStringLiteral("iso");
        QTest::newRow("disk") << int(VmSource::Disk) << QStringLiteral("disk");
        QTest::newRow("tiny kernel") << int(VmSource::Tiny) << QStringLiteral("kernel");
    }
    void missingFiles_areRefused()
    {
        QFETCH(int, source);
        QFETCH(QString, field);
        VmSpec spec = tinySpec();
        spec.source = VmSource(source);
        spec.kernelPath = m_kernel;
        spec.isoPath = m_iso;
        spec.diskPath = m_disk;
        spec.diskSizeBytes = 1ULL << 30;
        VERIFY_ACCEPTED(spec, m_host);
        const QString missing = m_dir.filePath(QStringLiteral("does-not-exist"));
        QString *target = field == QStringLiteral("kernel") ? &spec.kernelPath
            : field == QStringLiteral("initrd")             ? &spec.initrdPath
            : field == QStringLiteral("iso")                ? &spec.isoPath
                                                            : &spec.diskPath;
        *target = missing;
        const std::optional<ErrorReply> problem = vmSpecProblem(spec, m_host);
        QVERIFY(problem);
        QCOMPARE(problem->name, Error::InvalidArgument);
        QVERIFY2(problem->message.contains(missing), qPrintable(problem->message));
    }

    void directoryOrRelativePath_isRefused()
    {
        VmSpec spec = tinySpec();
        spec.source = VmSource::Disk;
        spec.diskPath = m_dir.path();
        QCOMPARE(problemName(spec, m_host), Error::InvalidArgument);
        spec.diskPath = QStringLiteral("disk.qcow2");
        QCOMPARE(problemName(spec, m_host), Error::InvalidArgument);
    }

    void unreadableFile_isRefused()
    {
        // Root reads any mode bits, so make the file unreadable the way root also feels: a FIFO
        // is not a regular file, and an empty file is no kernel.
        const QString fifo = m_dir.filePath(QStringLiteral("fifo"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        VmSpec spec = tinySpec();
        spec.source = VmSource::Kernel;
        spec.kernelPath = fifo;
        QCOMPARE(problemName(spec, m_host), Error::InvalidArgument);
        spec.kernelPath = writeFile(QStringLiteral("empty"), {});
        QCOMPARE(problemName(spec, m_host), Error::InvalidArgument);
    }

    void isoWithoutDiskSize_isRefused()
    {
        VmSpec spec = tinySpec();
        spec.source = VmSource::Iso;
        spec.isoPath = m_iso;
        spec.diskSizeBytes = 0;
        QCOMPARE(problemName(spec, m_host), Error::InvalidArgument);
    }

    void variantMap_readsEveryKey()
    {
        const QVariantMap map {{QStringLiteral("source"), QStringLiteral("iso")},
                               {QStringLiteral("memory"), QVariant::fromValue<qulonglong>(1ULL << 30)},
                               {QStringLiteral("vcpus"), QVariant::fromValue<uint>(2)},
                               {QStringLiteral("diskSize"), QVariant::fromValue<qulonglong>(8ULL << 30)},
                               {QStringLiteral("iso"), m_iso},
                               {QStringLiteral("osVariant"), QStringLiteral("debian12")},
                               {QStringLiteral("autostart"), true}};
        const Result<VmSpec> spec = vmSpecFromVariantMap(QStringLiteral("inst"), map, Accelerator::Tcg);
        QVERIFY2(spec.ok(), qPrintable(spec.error().message));
        QCOMPARE(toString(spec.value().source), toString(VmSource::Iso));
        QCOMPARE(spec.value().memoryBytes, 1ULL << 30);
        QCOMPARE(spec.value().vcpus, 2u);
        QCOMPARE(spec.value().diskSizeBytes, 8ULL << 30);
        QCOMPARE(spec.value().isoPath, m_iso);
        QCOMPARE(spec.value().osVariant, QStringLiteral("debian12"));
        QVERIFY(spec.value().autostart);
        QCOMPARE(toString(spec.value().accelerator), toString(Accelerator::Tcg));
    }

    void variantMap_defaultsToTinyWithSmallMemory()
    {
        const Result<VmSpec> spec = vmSpecFromVariantMap(QStringLiteral("t"), {}, Accelerator::Kvm);
        QVERIFY(spec.ok());
        QCOMPARE(toString(spec.value().source), toString(VmSource::Tiny));
        QCOMPARE(spec.value().memoryBytes, 128ULL << 20);
        QCOMPARE(spec.value().vcpus, 1u);
        QCOMPARE(toString(spec.value().accelerator), toString(Accelerator::Kvm));
        QCOMPARE(toString(spec.value().network), QStringLiteral("none")); // the helper's default is nat
        for (const char *mode : {"nat", "none", "user"}) {
            const Result<VmSpec> with = vmSpecFromVariantMap(
                QStringLiteral("t"), {{QStringLiteral("network"), QString::fromLatin1(mode)}}, Accelerator::Kvm);
            QVERIFY(with.ok());
            QCOMPARE(toString(with.value().network), QString::fromLatin1(mode));
        }
    }

    void variantMap_refusesUnknownSourceKeyAndTypes_data()
    {
        QTest::addColumn<QVariantMap>("map");
        QTest::newRow("unknown source") << QVariantMap {{QStringLiteral("source"), QStringLiteral("floppy")}};
        QTest::newRow("unknown key") << QVariantMap {{QStringLiteral("memroy"), 1}};
        QTest::newRow("memory as string") << QVariantMap {{QStringLiteral("memory"), QStringLiteral("1G")}};
        QTest::newRow("negative vcpus") << QVariantMap {{QStringLiteral("vcpus"), -1}};
        QTest::newRow("kernel as number") << QVariantMap {{QStringLiteral("kernel"), 5}};
        QTest::newRow("autostart as string") << QVariantMap {{QStringLiteral("autostart"), QStringLiteral("yes")}};
        QTest::newRow("unknown accelerator") << QVariantMap {{QStringLiteral("accelerator"), QStringLiteral("hvf")}};
        QTest::newRow("unknown network") << QVariantMap {{QStringLiteral("network"), QStringLiteral("bridge")}};
        QTest::newRow("network as number") << QVariantMap {{QStringLiteral("network"), 1}};
    }
    void variantMap_refusesUnknownSourceKeyAndTypes()
    {
        QFETCH(QVariantMap, map);
        const Result<VmSpec> spec = vmSpecFromVariantMap(QStringLiteral("t"), map, Accelerator::Tcg);
        QVERIFY(!spec.ok());
        QCOMPARE(spec.error().name, Error::InvalidArgument);
        QVERIFY(!spec.error().message.isEmpty());
    }

    void diskFormat_isDetectedFromMagic()
    {
        QCOMPARE(toString(detectDiskFormat(m_disk)), toString(DiskFormat::Qcow2));
        QCOMPARE(toString(detectDiskFormat(m_iso)), toString(DiskFormat::Raw));
    }
};

QTEST_GUILESS_MAIN(TestVmSpec)
#include "tst_vmspec.moc"
