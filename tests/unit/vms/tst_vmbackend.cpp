#include "hostprobe.h"
#include "libvirtconnection.h"
#include "logging.h"
#include "systemlibvirt.h"
#include "testsystem.h"
#include "tinyinitramfs.h"
#include "vmbackend.h"
#include "vmstate.h"

#include <QCoro/QCoroTask>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "awaittask.h"

#include <poll.h>
#include <sys/sysinfo.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Vms;
using namespace std::chrono_literals;

// The VM backend against real libvirt: the embedded QEMU driver under a temporary root, or with
// HAMLET_TEST_LIBVIRT=system (tst_vmbackend_system) a system-mode libvirtd started on private
// paths (QEMU as libvirt-qemu); guests under TCG. The test functions run in order and follow one tiny VM through its
// life.
using Hamlet::Test::await;

class TestVmBackend : public QObject
{
    Q_OBJECT

    QTemporaryDir m_state {QStringLiteral("/tmp/hvm-XXXXXX")}; // short: QEMU socket paths must fit
    std::unique_ptr<Hamlet::Test::SystemLibvirt> m_daemon;
    std::unique_ptr<LibvirtConnection> m_connection;
    std::unique_ptr<VmBackend> m_backend;
    std::unique_ptr<QSignalSpy> m_states;
    UniqueFd m_console;
    QByteArray m_consoleOutput;

    // Reads the console until text appears (after `from`), or the timeout passes.
    bool readConsoleUntil(const QByteArray &text, int timeoutMs, qsizetype from = 0)
    {
        QElapsedTimer timer;
        timer.start();
        while (m_consoleOutput.indexOf(text, from) < 0 && timer.elapsed() < timeoutMs) {
            pollfd entry {m_console.get(), POLLIN, 0};
            if (::poll(&entry, 1, 100) > 0) {
                char buffer[4096];
                const ssize_t n = ::read(m_console.get(), buffer, sizeof(buffer));
                if (n <= 0)
                    return false;
                m_consoleOutput.append(buffer, n);
            }
        }
        return m_consoleOutput.indexOf(text, from) >= 0;
    }

    void writeConsole(const QByteArray &line)
    {
        QCOMPARE(::write(m_console.get(), line.constData(), line.size()), line.size());
    }

    bool waitForState(const QString &name, const QString &state, int timeoutMs)
    {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            for (const QList<QVariant> &signal : std::as_const(*m_states)) {
                if (signal.at(0).toString() == name && signal.at(1).toString() == state)
                    return true;
            }
            m_states->wait(100);
        }
        return false;
    }

    static VmSpec tinySpec(const QString &name)
    {
        VmSpec spec;
        spec.name = name;
        spec.source = VmSource::Tiny;
        spec.memoryBytes = 128ULL << 20;
        spec.vcpus = 1;
        return spec;
    }

private Q_SLOTS:
    void initTestCase()
    {
        Log::setup("tst_vmbackend", false); // HAMLET_LOG=debug shows the backend's detail
        QVERIFY(m_state.isValid());
        QString uri = QStringLiteral("qemu:///embed?root=%1/libvirt").arg(m_state.path());
        if (Hamlet::Test::TestSystem::wantsSystemLibvirt()) {
            m_daemon = std::make_unique<Hamlet::Test::SystemLibvirt>(
                m_state.path() + QStringLiteral("-libvirtd"),
                QStringLiteral(HAMLET_BINARY_DIR "/libvirt-system-cache"));
            QVERIFY2(m_daemon->start(), qPrintable(m_daemon->error()));
            uri = m_daemon->uri();
        }
        m_connection = std::make_unique<LibvirtConnection>(uri);
        const Result<void> opened = await(m_connection->open());
        QVERIFY2(opened.ok(), qPrintable(opened.error().message));
        struct sysinfo info {
        };
        sysinfo(&info);
        VmBackend::Options options;
        options.stateDir = m_state.path();
        options.accelerator = Accelerator::Tcg;
        options.hostKernel = HostProbe::findBootableKernel();
        options.busybox = HostProbe::findStaticBusybox();
        options.hostCpus = static_cast<uint>(QThread::idealThreadCount());
        options.hostMemoryBytes = static_cast<quint64>(info.totalram) * info.mem_unit;
        options.guestFilesDir = m_state.path() + QStringLiteral("-vmfiles"); // QEMU's user cannot enter m_state
        options.shutdownTimeout = 2s; // the tiny VM ignores ACPI: exercise the destroy path quickly
        m_backend = std::make_unique<VmBackend>(*m_connection, options);
        m_states = std::make_unique<QSignalSpy>(m_backend.get(), &VmBackend::stateChanged);
    }

    void create_tinyVmRunsAndItsConsoleShowsTheBanner()
    {
        QElapsedTimer sinceCreate;
        sinceCreate.start();
        const Result<void> created = await(m_backend->create(tinySpec(QStringLiteral("tiny1"))));
        QVERIFY2(created.ok(), qPrintable(created.error().message));
        const qint64 createMs = sinceCreate.elapsed();
        QCOMPARE(await(m_backend->state(QStringLiteral("tiny1"))).value(), VmState::Running);
        Result<UniqueFd> console = await(m_backend->openConsole(QStringLiteral("tiny1")));
        QVERIFY2(console.ok(), qPrintable(console.error().message));
        m_console = std::move(console).value();
        QVERIFY2(readConsoleUntil(TinyInitramfs::BannerPrefix.toUtf8(), 30000), m_consoleOutput.constData());
        qInfo("create returned after %lld ms; banner on the console %lld ms after create was called", createMs,
              sinceCreate.elapsed());
        QVERIFY(waitForState(QStringLiteral("tiny1"), VmState::Running, 5000));
    }

    void console_answersACommand()
    {
        QVERIFY(readConsoleUntil("# ", 10000));
        const qsizetype from = m_consoleOutput.size();
        writeConsole("echo hamlet-$((6*7))\n");
        QVERIFY2(readConsoleUntil("hamlet-42", 10000, from), m_consoleOutput.constData());
    }

    void sampleRunning_reportsGrowingCpuAndMemory()
    {
        auto sampleOf = [this]() -> VmSample {
            const Result<QList<VmSample>> samples = await(m_backend->sampleRunning());
            for (const VmSample &sample : samples.value())
                if (sample.name == QStringLiteral("tiny1"))
                    return sample;
            return {};
        };
        const VmSample first = sampleOf();
        QCOMPARE(first.state, VmState::Running);
        QVERIFY(first.cpuNs > 0);
        QVERIFY(first.memoryBytes > 0);
        QCOMPARE(first.memoryLimitBytes, 128ULL << 20);
        QCOMPARE(first.vcpus, 1u);
        writeConsole("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done\n");
        QTest::qWait(500);
        const VmSample second = sampleOf();
        QVERIFY2(second.cpuNs > first.cpuNs, qPrintable(QStringLiteral("%1 -> %2").arg(first.cpuNs).arg(second.cpuNs)));
        qInfo("tiny1: cpu %llu ns, memory %llu MiB (QEMU RSS), balloon %llu MiB", second.cpuNs,
              second.memoryBytes >> 20, second.memoryLimitBytes >> 20);
    }

    void inspect_showsTheGuestsParts()
    {
        const Result<QVariantMap> inspected = await(m_backend->inspect(QStringLiteral("tiny1")));
        QVERIFY2(inspected.ok(), qPrintable(inspected.error().message));
        const QVariantMap map = inspected.value();
        QCOMPARE(map.value(QStringLiteral("accelerator")).toString(), QStringLiteral("tcg"));
        QVERIFY2(map.value(QStringLiteral("machine")).toString().startsWith(QStringLiteral("pc-q35")),
                 qPrintable(map.value(QStringLiteral("machine")).toString()));
        QCOMPARE(map.value(QStringLiteral("kernel")).toString(), m_backend->options().hostKernel);
        QVERIFY(m_consoleOutput.contains(map.value(QStringLiteral("kernelRelease")).toString().toUtf8()));
        QCOMPARE(map.value(QStringLiteral("source")).toString(), QStringLiteral("tiny"));
        QCOMPARE(map.value(QStringLiteral("vcpus")).toUInt(), 1u);
        QCOMPARE(map.value(QStringLiteral("memory")).toULongLong(), 128ULL << 20);
        const qulonglong pid = map.value(QStringLiteral("pid")).toULongLong();
        QVERIFY(pid > 0);
        QVERIFY(QFile(QStringLiteral("/proc/%1/cmdline").arg(pid)).open(QIODevice::ReadOnly));
        QVERIFY(map.value(QStringLiteral("xml")).toString().contains(QStringLiteral("<name>tiny1</name>")));
        QVERIFY(!map.value(QStringLiteral("hasDisplay")).toBool());
    }

    void openDisplay_withoutGraphics_isUnsupported()
    {
        const Result<UniqueFd> display = await(m_backend->openDisplay(QStringLiteral("tiny1")));
        QVERIFY(!display.ok());
        QCOMPARE(display.error().name, Error::Unsupported);
    }

    void setLimits_changesMemoryLiveAndVcpusWhereAllowed()
    {
        const Result<VmBackend::LimitsOutcome> outcome
            = await(m_backend->setLimits(QStringLiteral("tiny1"), 96ULL << 20, 2u));
        QVERIFY2(outcome.ok(), qPrintable(outcome.error().message));
        QVERIFY(outcome.value().memoryLive);
        QCOMPARE(outcome.value().notes.size(), 2);
        qInfo("setLimits: %s", qPrintable(outcome.value().notes.join(QLatin1Char(' '))));
        const Result<VmBackend::LimitsOutcome> tooMany
            = await(m_backend->setLimits(QStringLiteral("tiny1"), std::nullopt, 1000u));
        QVERIFY(!tooMany.ok());
        QCOMPARE(tooMany.error().name, Error::InvalidArgument);
    }

    void pauseAndResume_followLifecycleEvents()
    {
        m_states->clear();
        QVERIFY(await(m_backend->pause(QStringLiteral("tiny1"))).ok());
        QVERIFY(waitForState(QStringLiteral("tiny1"), VmState::Paused, 5000));
        QVERIFY(await(m_backend->resume(QStringLiteral("tiny1"))).ok());
        QVERIFY(waitForState(QStringLiteral("tiny1"), VmState::Running, 5000));
    }

    void stop_destroysAGuestThatIgnoresAcpiAfterTheTimeout()
    {
        m_states->clear();
        QElapsedTimer timer;
        timer.start();
        const Result<void> stopped = await(m_backend->stop(QStringLiteral("tiny1"), false));
        QVERIFY2(stopped.ok(), qPrintable(stopped.error().message));
        QVERIFY(timer.elapsed() >= 2000);
        QVERIFY(waitForState(QStringLiteral("tiny1"), VmState::Stopped, 5000));
        QCOMPARE(await(m_backend->state(QStringLiteral("tiny1"))).value(), VmState::Stopped);
    }

    void guestPoweroff_becomesStoppedByItself()
    {
        QElapsedTimer sinceStart;
        sinceStart.start();
        QVERIFY(await(m_backend->start(QStringLiteral("tiny1"))).ok());
        const qint64 startMs = sinceStart.elapsed();
        Result<UniqueFd> console = await(m_backend->openConsole(QStringLiteral("tiny1")));
        QVERIFY2(console.ok(), qPrintable(console.error().message));
        m_console = std::move(console).value();
        m_consoleOutput.clear();
        QVERIFY2(readConsoleUntil(TinyInitramfs::BannerPrefix.toUtf8(), 30000), m_consoleOutput.constData());
        qInfo("start returned after %lld ms; banner %lld ms after start was called", startMs, sinceStart.elapsed());
        QVERIFY(readConsoleUntil("# ", 10000));
        m_states->clear();
        QElapsedTimer timer;
        timer.start();
        writeConsole("poweroff -f\n");
        QVERIFY(waitForState(QStringLiteral("tiny1"), VmState::Stopped, 10000));
        qInfo("guest poweroff -f -> stateChanged(stopped) in %lld ms", timer.elapsed());
        QVERIFY2(timer.elapsed() < 1000, "the issue asks for 'stopped' within a second of the guest powering off");
        // Starting it again at once works, although libvirt may still be tearing the old QEMU down.
        QVERIFY(await(m_backend->start(QStringLiteral("tiny1"))).ok());
        QCOMPARE(await(m_backend->state(QStringLiteral("tiny1"))).value(), VmState::Running);
    }

    void create_refusesBadInputAndDuplicatesWithoutDefiningAnything()
    {
        const Result<void> duplicate = await(m_backend->create(tinySpec(QStringLiteral("tiny1"))));
        QVERIFY(!duplicate.ok());
        QCOMPARE(duplicate.error().name, Error::Exists);
        VmSpec noMemory = tinySpec(QStringLiteral("tiny2"));
        noMemory.memoryBytes = 0;
        QCOMPARE(await(m_backend->create(noMemory)).error().name, Error::InvalidArgument);
        VmSpec missingIso = tinySpec(QStringLiteral("tiny2"));
        missingIso.source = VmSource::Iso;
        missingIso.isoPath = m_state.filePath(QStringLiteral("missing.iso"));
        missingIso.diskSizeBytes = 64ULL << 20;
        QCOMPARE(await(m_backend->create(missingIso)).error().name, Error::InvalidArgument);
        QCOMPARE(await(m_backend->state(QStringLiteral("tiny2"))).error().name, Error::NotFound);
        QVERIFY(!QFile::exists(m_backend->ownedDiskPath(QStringLiteral("tiny2"))));
    }

    void remove_leavesNoDefinitionAndNoFiles()
    {
        QVERIFY(await(m_backend->remove(QStringLiteral("tiny1"))).ok());
        QCOMPARE(await(m_backend->state(QStringLiteral("tiny1"))).error().name, Error::NotFound);
        const Result<QList<VmBackend::VmInfo>> listed = await(m_backend->list());
        QVERIFY(listed.ok());
        for (const VmBackend::VmInfo &info : listed.value())
            QVERIFY(info.name != QStringLiteral("tiny1"));
        QVERIFY(!QFile::exists(m_state.filePath(QStringLiteral("libvirt/etc/qemu/tiny1.xml"))));
        QVERIFY(!QFile::exists(m_backend->ownedDiskPath(QStringLiteral("tiny1"))));
        QCOMPARE(await(m_backend->remove(QStringLiteral("tiny1"))).error().name, Error::NotFound);
    }

    void isoVm_bootsFromTheCdOntoANewDiskAndHasADisplaySpeakingRfb()
    {
        // A bootable ISO made of the tiny VM's kernel and initramfs with ISOLINUX, the way a
        // distribution's installer CD boots.
        const QString isolinux = QStringLiteral("/usr/lib/ISOLINUX/isolinux.bin");
        const QString ldlinux = QStringLiteral("/usr/lib/syslinux/modules/bios/ldlinux.c32");
        QVERIFY2(QFile::exists(isolinux) && QFile::exists(ldlinux),
                 "ISOLINUX not found: install the 'isolinux' and 'syslinux-common' packages");
        const QString root = m_state.filePath(QStringLiteral("isoroot"));
        QVERIFY(QDir().mkpath(root + QStringLiteral("/isolinux")));
        QVERIFY(QFile::copy(isolinux, root + QStringLiteral("/isolinux/isolinux.bin")));
        QVERIFY(QFile::copy(ldlinux, root + QStringLiteral("/isolinux/ldlinux.c32")));
        QVERIFY(QFile::copy(m_backend->options().hostKernel, root + QStringLiteral("/vmlinuz")));
        QVERIFY(QFile::copy(m_state.filePath(QStringLiteral("vms/tiny-initramfs.img")),
                            root + QStringLiteral("/initrd.img")));
        QFile config(root + QStringLiteral("/isolinux/isolinux.cfg"));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(
            QStringLiteral("SERIAL 0 115200\nDEFAULT tiny\nPROMPT 0\nTIMEOUT 1\nLABEL tiny\n  KERNEL /vmlinuz\n"
                           "  APPEND initrd=/initrd.img %1\n")
                .arg(TinyInitramfs::KernelCommandLine)
                .toUtf8());
        config.close();
        const QString iso = m_state.filePath(QStringLiteral("tiny.iso"));
        QProcess xorriso;
        xorriso.setProcessChannelMode(QProcess::MergedChannels);
        xorriso.start(QStringLiteral("xorriso"),
                      {QStringLiteral("-as"), QStringLiteral("mkisofs"), QStringLiteral("-o"), iso,
                       QStringLiteral("-b"), QStringLiteral("isolinux/isolinux.bin"), QStringLiteral("-c"),
                       QStringLiteral("isolinux/boot.cat"), QStringLiteral("-no-emul-boot"),
                       QStringLiteral("-boot-load-size"), QStringLiteral("4"), QStringLiteral("-boot-info-table"),
                       root});
        QVERIFY(xorriso.waitForFinished(60000));
        QVERIFY2(xorriso.exitCode() == 0, xorriso.readAll().constData());

        VmSpec spec = tinySpec(QStringLiteral("inst1"));
        spec.source = VmSource::Iso;
        spec.isoPath = iso;
        spec.diskSizeBytes = 64ULL << 20;
        QElapsedTimer sinceCreate;
        sinceCreate.start();
        const Result<void> created = await(m_backend->create(spec));
        QVERIFY2(created.ok(), qPrintable(created.error().message));
        const QString disk = m_backend->ownedDiskPath(QStringLiteral("inst1"));
        QProcess info;
        info.start(QStringLiteral("qemu-img"), {QStringLiteral("info"), QStringLiteral("-U"), disk});
        QVERIFY(info.waitForFinished(30000));
        const QString infoText = QString::fromUtf8(info.readAllStandardOutput());
        QVERIFY2(infoText.contains(QStringLiteral("file format: qcow2")), qPrintable(infoText));
        QVERIFY2(infoText.contains(QStringLiteral("virtual size: 64 MiB")), qPrintable(infoText));

        const Result<UniqueFd> display = await(m_backend->openDisplay(QStringLiteral("inst1")));
        QVERIFY2(display.ok(), qPrintable(display.error().message));
        QByteArray greeting;
        QElapsedTimer timer;
        timer.start();
        while (greeting.size() < 12 && timer.elapsed() < 10000) {
            pollfd entry {display.value().get(), POLLIN, 0};
            if (::poll(&entry, 1, 100) > 0) {
                char buffer[12];
                const ssize_t n = ::read(display.value().get(), buffer, sizeof(buffer) - greeting.size());
                if (n <= 0)
                    break;
                greeting.append(buffer, n);
            }
        }
        QVERIFY2(greeting.startsWith("RFB 003.00"), greeting.constData());

        // The empty disk holds no boot loader, so the firmware went on to the CD, which boots.
        Result<UniqueFd> console = await(m_backend->openConsole(QStringLiteral("inst1")));
        QVERIFY2(console.ok(), qPrintable(console.error().message));
        m_console = std::move(console).value();
        m_consoleOutput.clear();
        QVERIFY2(readConsoleUntil(TinyInitramfs::BannerPrefix.toUtf8(), 45000), m_consoleOutput.constData());
        qInfo("the iso VM booted from its CD to the banner in %lld ms", sinceCreate.elapsed());

        QVERIFY(await(m_backend->remove(QStringLiteral("inst1"))).ok());
        QVERIFY(!QFile::exists(disk));
        QVERIFY(QFile::exists(iso)); // the user's ISO is never Hamlet's to delete
    }

    void cleanupTestCase()
    {
        // Leave no QEMU behind, whatever failed above.
        if (!m_backend)
            return;
        const Result<QList<VmBackend::VmInfo>> listed = await(m_backend->list());
        if (listed.ok()) {
            for (const VmBackend::VmInfo &info : listed.value())
                await(m_backend->remove(info.name));
        }
        m_console.reset();
        m_backend.reset();
        m_connection.reset();
        if (m_daemon)
            m_daemon->stop();
        QDir(m_state.path() + QStringLiteral("-vmfiles")).removeRecursively();
        QDir(m_state.path() + QStringLiteral("-libvirtd")).removeRecursively();
    }
};

int main(int argc, char **argv)
{
    LibvirtConnection::prepareProcess(); // as hamlet-helper's main() does
    QCoreApplication app(argc, argv);
    TestVmBackend test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_vmbackend.moc"
