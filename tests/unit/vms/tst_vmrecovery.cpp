#include "hostprobe.h"
#include "libvirtconnection.h"
#include "logging.h"
#include "vmbackend.h"
#include "vmstate.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "awaittask.h"

#include <poll.h>
#include <sys/sysinfo.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Vms;

using Hamlet::Test::await;

namespace {

VmBackend::Options backendOptions(const QString &stateDir)
{
    struct sysinfo info {
    };
    sysinfo(&info);
    VmBackend::Options options;
    options.stateDir = stateDir;
    options.hostKernel = HostProbe::findBootableKernel();
    options.busybox = HostProbe::findStaticBusybox();
    options.hostCpus = static_cast<uint>(QThread::idealThreadCount());
    options.hostMemoryBytes = static_cast<quint64>(info.totalram) * info.mem_unit;
    return options;
}

QString embeddedUri(const QString &stateDir)
{
    return QStringLiteral("qemu:///embed?root=%1/libvirt").arg(stateDir);
}

// The stand-in for a helper that gets killed: creates a tiny VM, says so, and waits for SIGKILL.
int holdVm(const QString &stateDir)
{
    LibvirtConnection connection(embeddedUri(stateDir));
    if (!await(connection.open()).ok())
        return 2;
    VmBackend backend(connection, backendOptions(stateDir));
    VmSpec spec;
    spec.name = QStringLiteral("keep1");
    spec.memoryBytes = 128ULL << 20;
    spec.vcpus = 1;
    const Result<void> created = await(backend.create(spec));
    if (!created.ok()) {
        fprintf(stderr, "%s\n", qPrintable(created.error().message));
        return 3;
    }
    fputs("ready\n", stdout);
    fflush(stdout);
    return QCoreApplication::exec();
}

} // namespace

// After the helper dies (kill -9) with a VM running, a new helper on the same state finds the VM
// running and can still use and stop it: libvirt's state, not the helper's memory, is the record.
class TestVmRecovery : public QObject
{
    Q_OBJECT

    QTemporaryDir m_state {QStringLiteral("/tmp/hvr-XXXXXX")};
    std::unique_ptr<LibvirtConnection> m_connection;
    std::unique_ptr<VmBackend> m_backend;

private Q_SLOTS:
    void initTestCase()
    {
        Log::setup("tst_vmrecovery", false);
        QVERIFY(m_state.isValid());
    }

    void killedHelper_leavesTheVmRunningAndControllable()
    {
        QProcess helper;
        helper.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        helper.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--hold-vm"), m_state.path()});
        QVERIFY(helper.waitForStarted());
        QElapsedTimer timer;
        timer.start();
        QByteArray output;
        while (!output.contains("ready") && helper.state() == QProcess::Running && timer.elapsed() < 60000) {
            helper.waitForReadyRead(200);
            output += helper.readAllStandardOutput();
        }
        QVERIFY2(output.contains("ready"), "the first helper did not create its VM");
        helper.kill(); // SIGKILL: no cleanup of any kind
        QVERIFY(helper.waitForFinished());

        m_connection = std::make_unique<LibvirtConnection>(embeddedUri(m_state.path()));
        const Result<void> opened = await(m_connection->open());
        QVERIFY2(opened.ok(), qPrintable(opened.error().message));
        m_backend = std::make_unique<VmBackend>(*m_connection, backendOptions(m_state.path()));

        const Result<QList<VmBackend::VmInfo>> listed = await(m_backend->list());
        QVERIFY(listed.ok());
        QCOMPARE(listed.value().size(), 1);
        QCOMPARE(listed.value().first().name, QStringLiteral("keep1"));
        QCOMPARE(listed.value().first().state, VmState::Running);
        QCOMPARE(listed.value().first().source, QStringLiteral("tiny"));
        const Result<QVariantMap> inspected = await(m_backend->inspect(QStringLiteral("keep1")));
        QVERIFY(inspected.ok());
        QVERIFY(inspected.value().value(QStringLiteral("pid")).toULongLong() > 0);

        // The console still reaches the same guest.
        Result<UniqueFd> console = await(m_backend->openConsole(QStringLiteral("keep1")));
        QVERIFY2(console.ok(), qPrintable(console.error().message));
        // The guest may still be booting (the first helper only waited for libvirt): knock until
        // a shell prompt answers, then type.
        const int fd = console.value().get();
        QByteArray seen;
        auto readFor = [&](int ms) {
            QElapsedTimer waited;
            waited.start();
            while (waited.elapsed() < ms) {
                pollfd entry {fd, POLLIN, 0};
                if (::poll(&entry, 1, 50) > 0) {
                    char buffer[1024];
                    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
                    if (n <= 0)
                        return;
                    seen.append(buffer, n);
                }
            }
        };
        timer.restart();
        while (!seen.contains("# ") && timer.elapsed() < 30000) {
            QCOMPARE(::write(fd, "\n", 1), 1);
            readFor(500);
        }
        QVERIFY2(seen.contains("# "), seen.constData());
        const QByteArray command("echo recovered-$((40+2))\n");
        QCOMPARE(::write(fd, command.constData(), command.size()), command.size());
        timer.restart();
        while (!seen.contains("recovered-42") && timer.elapsed() < 15000)
            readFor(100);
        QVERIFY2(seen.contains("recovered-42"), seen.constData());

        QVERIFY(await(m_backend->stop(QStringLiteral("keep1"), true)).ok());
        QCOMPARE(await(m_backend->state(QStringLiteral("keep1"))).value(), VmState::Stopped);
    }

    void cleanupTestCase()
    {
        if (!m_backend) {
            // The first helper's VM may still run: reach it to clean up.
            m_connection = std::make_unique<LibvirtConnection>(embeddedUri(m_state.path()));
            if (!await(m_connection->open()).ok())
                return;
            m_backend = std::make_unique<VmBackend>(*m_connection, backendOptions(m_state.path()));
        }
        const Result<QList<VmBackend::VmInfo>> listed = await(m_backend->list());
        if (listed.ok()) {
            for (const VmBackend::VmInfo &info : listed.value())
                await(m_backend->remove(info.name));
        }
        m_backend.reset();
        m_connection.reset();
    }
};

int main(int argc, char **argv)
{
    LibvirtConnection::prepareProcess();
    QCoreApplication app(argc, argv);
    if (argc == 3 && qstrcmp(argv[1], "--hold-vm") == 0) {
        Log::setup("tst_vmrecovery-helper", false);
        return holdVm(QString::fromLocal8Bit(argv[2]));
    }
    TestVmRecovery test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_vmrecovery.moc"
