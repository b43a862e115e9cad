// Issue 21 (an image as a house): one image of the store run as a container and as a micro-VM
// (CreateVm source=image), through the whole stack: the real bus, polkitd, the helper, runc and
// libvirt with QEMU under TCG. VMs are shared between checks: every boot costs seconds here.
#include "clienttest.h"
#include "localregistry.h"
#include "testsystem.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

#include <QCoro/QCoroTask>
#include <sys/stat.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {

// Prints a line, its boot id (whose kernel runs it) and whether a file a lower layer deleted
// shows through, then serves a file with busybox httpd and waits.
const QJsonObject kHello {
    {QStringLiteral("Entrypoint"),
     QJsonArray {
         QStringLiteral("/bin/sh"), QStringLiteral("-c"),
         QStringLiteral("echo hello-from-image; echo boot_id=$(busybox cat /proc/sys/kernel/random/boot_id); "
                        "if [ -e /etc/gone ]; then echo whiteout-ignored; else echo whiteout-applied; fi; "
                        "echo in-$(busybox pwd) $GREETING; busybox mkdir -p /www; echo served >/www/index.html; "
                        "busybox httpd -p 8080 -h /www; exec busybox sleep 3600")}},
    {QStringLiteral("Env"), QJsonArray {QStringLiteral("PATH=/bin"), QStringLiteral("GREETING=hi-there")}},
    {QStringLiteral("WorkingDir"), QStringLiteral("/tmp")}};
const QJsonObject kBroken {{QStringLiteral("Entrypoint"), QJsonArray {QStringLiteral("/no/such/program")}},
                           {QStringLiteral("Env"), QJsonArray {QStringLiteral("PATH=/bin")}}};

QByteArray hostBootId()
{
    return readFile(QStringLiteral("/proc/sys/kernel/random/boot_id")).trimmed();
}

// The first boot id printed after "boot_id=".
QByteArray bootIdIn(const QByteArray &output)
{
    const QRegularExpression id(QStringLiteral("boot_id=([0-9a-f-]{36})"));
    return id.match(QString::fromUtf8(output)).captured(1).toUtf8();
}

struct FileId {
    ino_t inode = 0;
    qint64 mtimeNs = 0;
    bool operator==(const FileId &) const = default;
};
FileId fileId(const QString &path)
{
    struct stat status {
    };
    if (::stat(QFile::encodeName(path).constData(), &status) != 0)
        return {};
    return {status.st_ino, qint64(status.st_mtim.tv_sec) * 1000000000 + status.st_mtim.tv_nsec};
}

} // namespace

class TestImageVms : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    LocalRegistry m_registry;
    std::unique_ptr<HelperClient> m_client;
    QString m_hello; // the registry image's reference
    QString m_broken;

    QString pull(const QString &reference)
    {
        const auto job = QCoro::waitFor(m_client->pullImage(reference, {}));
        if (const auto *error = std::get_if<ClientError>(&job))
            return error->name + QStringLiteral(": ") + error->message;
        const auto done = QCoro::waitFor(m_client->waitForJob(std::get<QString>(job)));
        if (const auto *error = std::get_if<ClientError>(&done))
            return error->name + QStringLiteral(": ") + error->message;
        return {};
    }

    QVariantMap inspect(const QString &name)
    {
        const auto parts = QCoro::waitFor(m_client->inspect(name));
        const auto *values = std::get_if<QVariantMap>(&parts);
        return values ? *values : QVariantMap();
    }

    QString imageDigest(const QString &name)
    {
        const auto images = QCoro::waitFor(m_client->listImages());
        if (const auto *rows = std::get_if<VariantMapList>(&images)) {
            for (const QVariantMap &row : *rows) {
                if (row.value(QStringLiteral("name")).toString() == name)
                    return row.value(QStringLiteral("digest")).toString();
            }
        }
        return {};
    }

    QString baseDisk(const QString &digest) const
    {
        return m_system.stateDir() + QStringLiteral("/vms/images/") + QString(digest).remove(QStringLiteral("sha256:"))
            + QStringLiteral(".ext4");
    }

    // Waits until the file holds `until`; returns what it holds.
    static QByteArray waitForFile(const QString &path, const QByteArray &until, int timeoutMs)
    {
        QElapsedTimer timer;
        timer.start();
        while (!readFile(path).contains(until) && timer.elapsed() < timeoutMs)
            QTest::qWait(100);
        return readFile(path);
    }

    QString waitForState(const QString &name, const QString &state, int timeoutMs)
    {
        QElapsedTimer timer;
        timer.start();
        QString now;
        while ((now = instanceState(*m_client, name)) != state && timer.elapsed() < timeoutMs)
            QTest::qWait(200);
        return now;
    }

    QString remove(const QString &name)
    {
        QString failure;
        valueOr(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete"))), &failure);
        return failure;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_registry.start(), qPrintable(m_registry.error()));
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        // Two layers: the upper one deletes a file of the lower (a whiteout the disk must apply).
        QList<LayerFile> base = busyboxFiles();
        base << LayerFile::file("etc/gone", "deleted above\n");
        const TestLayer upper {{LayerFile::whiteout("etc", "gone"), LayerFile::file("etc/motd", "hello\n")}};
        const auto hello = m_registry.pushImage(QStringLiteral("hamlet/hello"), QStringLiteral("1"),
                                                {TestLayer {base}, upper}, kHello);
        QVERIFY2(hello, qPrintable(m_registry.error()));
        const auto broken = m_registry.pushImage(QStringLiteral("hamlet/broken"), QStringLiteral("1"),
                                                 {TestLayer {busyboxFiles()}}, kBroken);
        QVERIFY2(broken, qPrintable(m_registry.error()));
        m_hello = m_registry.hostPort() + QStringLiteral("/hamlet/hello:1");
        m_broken = m_registry.hostPort() + QStringLiteral("/hamlet/broken:1");
        QCOMPARE(pull(m_hello), QString());
        QCOMPARE(pull(m_broken), QString());
    }

    void badRequests_areRefusedAndLeaveNothing()
    {
        const QVariantMap noImage {{QStringLiteral("source"), QStringLiteral("image")}};
        QVERIFY(createAndWait(*m_client, QStringLiteral("vm"), QStringLiteral("ibad"), noImage)
                    .startsWith(QStringLiteral("dev.hamlet.Error.InvalidArgument")));
        const QVariantMap unknown {{QStringLiteral("source"), QStringLiteral("image")},
                                   {QStringLiteral("image"), QStringLiteral("no-such-image")}};
        const QString refused = createAndWait(*m_client, QStringLiteral("vm"), QStringLiteral("ibad"), unknown);
        QVERIFY2(refused.startsWith(QStringLiteral("dev.hamlet.Error.InvalidArgument"))
                     && refused.contains("no-such-image"),
                 qPrintable(refused));
        const QVariantMap tinyWithImage {{QStringLiteral("source"), QStringLiteral("tiny")},
                                         {QStringLiteral("image"), QStringLiteral("busybox")}};
        QVERIFY(createAndWait(*m_client, QStringLiteral("vm"), QStringLiteral("ibad"), tinyWithImage)
                    .startsWith(QStringLiteral("dev.hamlet.Error.InvalidArgument")));
        QCOMPARE(instanceState(*m_client, QStringLiteral("ibad")), QString());
        QVERIFY(!QFile::exists(m_system.stateDir() + QStringLiteral("/vms/disks/ibad.qcow2")));
    }

    // Acceptance 1: the built-in busybox image as a micro-VM, offline; its shell on the serial
    // console; its own kernel (boot id); its NIC up through udhcpc.
    void builtinBusybox_bootsAsMicroVmWithItsShellOnTheConsole()
    {
        QElapsedTimer timer;
        timer.start();
        const QVariantMap spec {{QStringLiteral("source"), QStringLiteral("image")},
                                {QStringLiteral("image"), QStringLiteral("busybox")},
                                {QStringLiteral("memory"), QVariant::fromValue(qulonglong(192) << 20)},
                                {QStringLiteral("cpus"), 1.0}};
        QCOMPARE(createAndWait(*m_client, QStringLiteral("vm"), QStringLiteral("ibb1"), spec), QString());
        const QVariantMap parts = inspect(QStringLiteral("ibb1"));
        QCOMPARE(parts.value(QStringLiteral("source")).toString(), QStringLiteral("image"));
        QCOMPARE(parts.value(QStringLiteral("image")).toString(), QStringLiteral("busybox"));
        QCOMPARE(parts.value(QStringLiteral("imageDigest")).toString(), imageDigest(QStringLiteral("busybox")));
        QCOMPARE(parts.value(QStringLiteral("vcpus")).toUInt(), 1u);
        QCOMPARE(parts.value(QStringLiteral("memory")).toULongLong(), qulonglong(192) << 20);
        QVERIFY(QFile::exists(baseDisk(parts.value(QStringLiteral("imageDigest")).toString())));
        const auto fd = QCoro::waitFor(m_client->openFd(QStringLiteral("ibb1"), QStringLiteral("OpenConsole")));
        QVERIFY(std::holds_alternative<int>(fd));
        const int tty = std::get<int>(fd);
        QByteArray seen;
        while (timer.elapsed() < 90000 && !seen.contains("ready-2")) {
            QVERIFY(::write(tty, "echo ready-$((1+1))\n", 20) == 20);
            seen += readUntil(tty, "ready-2", 2000);
        }
        QVERIFY2(seen.contains("ready-2"), seen.right(600).constData());
        qInfo("busybox micro-VM: create to shell %lld ms", static_cast<long long>(timer.elapsed()));
        // The answer's end is computed, so the terminal's echo of the question never matches it.
        const QByteArray ask = "echo boot_id=$(cat /proc/sys/kernel/random/boot_id) host=$(hostname) end-$((6*7))\n";
        QVERIFY(::write(tty, ask.constData(), ask.size()) == ask.size());
        QByteArray answer = readUntil(tty, "end-42", 10000);
        answer = answer.mid(answer.indexOf("end-$((6*7))") + 1); // after the echo
        ::close(tty);
        const QByteArray guestId = bootIdIn(answer);
        QVERIFY2(!guestId.isEmpty(), answer.constData());
        QVERIFY2(guestId != hostBootId(), "the VM runs on the host's kernel?");
        QVERIFY2(answer.contains("host=ibb1"), answer.constData());
        // network=nat by default: the init asked the Hamlet network for an address.
        const QString log = parts.value(QStringLiteral("consoleLog")).toString();
        QVERIFY2(readFile(log).contains("hamlet-init: address eth0 "), readFile(log).right(600).constData());
    }

    // Acceptance 1: an image pulled from the registry runs as a container and as a VM from the same
    // store entry; both print the same line; the VM's boot id is its own, the container's the host's.
    void registryImage_runsAsContainerAndAsVm()
    {
        QCOMPARE(
            createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("ihello-c"),
                          {{QStringLiteral("image"), m_hello}, {QStringLiteral("network"), QStringLiteral("none")}}),
            QString());
        const QString containerLog = m_system.stateDir() + QStringLiteral("/containers/ihello-c/container.log");
        const QByteArray containerOutput = waitForFile(containerLog, "in-", 15000);
        QVERIFY2(containerOutput.contains("hello-from-image"), containerOutput.constData());
        QCOMPARE(bootIdIn(containerOutput), hostBootId());

        QElapsedTimer timer;
        timer.start();
        const QVariantMap spec {{QStringLiteral("source"), QStringLiteral("image")},
                                {QStringLiteral("image"), m_hello},
                                {QStringLiteral("network"), QStringLiteral("none")}};
        QCOMPARE(createAndWait(*m_client, QStringLiteral("vm"), QStringLiteral("ihello-v"), spec), QString());
        const QVariantMap parts = inspect(QStringLiteral("ihello-v"));
        const QString digest = imageDigest(m_hello);
        QVERIFY(!digest.isEmpty());
        QCOMPARE(parts.value(QStringLiteral("imageDigest")).toString(), digest); // the same store entry
        QCOMPARE(inspect(QStringLiteral("ihello-c")).value(QStringLiteral("imageDigest")).toString(), digest);
        const QByteArray vmOutput = waitForFile(parts.value(QStringLiteral("consoleLog")).toString(), "in-", 90000);
        qInfo("registry image as a micro-VM: create to its program's output %lld ms",
              static_cast<long long>(timer.elapsed()));
        QVERIFY2(vmOutput.contains("hello-from-image"), vmOutput.right(600).constData());
        const QByteArray vmId = bootIdIn(vmOutput);
        QVERIFY(!vmId.isEmpty());
        QVERIFY(vmId != hostBootId());
        // The image's layers, env and working directory, as in the container.
        for (const QByteArray &output : {containerOutput, vmOutput}) {
            QVERIFY2(output.contains("whiteout-applied"), output.right(600).constData());
            QVERIFY2(output.contains("in-/tmp hi-there"), output.right(600).constData());
        }
        QCOMPARE(instanceState(*m_client, QStringLiteral("ihello-v")), QStringLiteral("running"));
        const QStringList usedBy = [&] {
            const auto images = QCoro::waitFor(m_client->listImages());
            for (const QVariantMap &row : std::get<VariantMapList>(images))
                if (row.value(QStringLiteral("name")).toString() == m_hello)
                    return row.value(QStringLiteral("usedBy")).toStringList();
            return QStringList();
        }();
        QVERIFY2(usedBy.contains(QStringLiteral("ihello-c")) && usedBy.contains(QStringLiteral("ihello-v")),
                 qPrintable(usedBy.join(QLatin1Char(','))));
    }

    // Acceptance 3: the second VM of an image reuses its ext4 disk (no second mkfs: the same file,
    // untouched), writes to its own overlay, and a program that ends powers the VM off.
    void secondVm_reusesTheExt4DiskAndStopsWhenItsProgramEnds()
    {
        const QString base = baseDisk(imageDigest(QStringLiteral("busybox")));
        const FileId before = fileId(base);
        QVERIFY(before.inode != 0);
        // Through hamletctl. The busybox image's Cmd is /bin/sh (no Entrypoint): the command after
        // "--" replaces it, as for containers.
        const Run ctl = m_system.run(
            {}, TestSystem::ctlProgram(),
            {QStringLiteral("create-vm"), QStringLiteral("ibb2"), QStringLiteral("source=image"),
             QStringLiteral("image=busybox"), QStringLiteral("cpus=1"), QStringLiteral("memory=160MiB"),
             QStringLiteral("network=none"), QStringLiteral("--"), QStringLiteral("/bin/sh"), QStringLiteral("-c"),
             QStringLiteral("echo written >/root/mark; echo second-vm-$((40+2)); exit 3")});
        QVERIFY2(ctl.exitCode == 0, ctl.err.constData());
        QCOMPARE(inspect(QStringLiteral("ibb2")).value(QStringLiteral("memory")).toULongLong(), qulonglong(160) << 20);
        QCOMPARE(fileId(base), before);
        const QString log = inspect(QStringLiteral("ibb2")).value(QStringLiteral("consoleLog")).toString();
        QVERIFY2(waitForFile(log, "second-vm-42", 90000).contains("second-vm-42"),
                 readFile(log).right(600).constData());
        QCOMPARE(waitForState(QStringLiteral("ibb2"), QStringLiteral("stopped"), 30000), QStringLiteral("stopped"));
        const QVariantMap properties = instanceProperties(*m_client, QStringLiteral("ibb2"));
        QCOMPARE(properties.value(QStringLiteral("ExitCode")).toInt(), 3);
        QCOMPARE(properties.value(QStringLiteral("Error")).toString(), QString());
        QCOMPARE(fileId(base), before); // the VM wrote to its overlay only
        // ibb1 (running) does not see ibb2's write.
        const auto fd = QCoro::waitFor(m_client->openFd(QStringLiteral("ibb1"), QStringLiteral("OpenConsole")));
        QVERIFY(std::holds_alternative<int>(fd));
        const int tty = std::get<int>(fd);
        const QByteArray ask = "ls /root/mark 2>&1; echo done-$((2*21))\n";
        QVERIFY(::write(tty, ask.constData(), ask.size()) == ask.size());
        const QByteArray answer = readUntil(tty, "done-42", 10000);
        ::close(tty);
        QVERIFY2(answer.contains("done-42") && answer.contains("No such file"), answer.constData());
        QCOMPARE(remove(QStringLiteral("ibb2")), QString());
        QVERIFY(!QFile::exists(m_system.stateDir() + QStringLiteral("/vms/disks/ibb2.qcow2")));
        QVERIFY(!QFile::exists(log));
    }

    // Acceptance 3: an entrypoint that is not in the image: failed, saying so, for both kinds.
    void missingEntrypoint_failsForBothKinds()
    {
        const QString container
            = createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("ibroken-c"),
                            {{QStringLiteral("image"), m_broken}, {QStringLiteral("network"), QStringLiteral("none")}});
        const QVariantMap containerProperties = instanceProperties(*m_client, QStringLiteral("ibroken-c"));
        qInfo("container: create said \"%s\", state %s, error \"%s\"", qPrintable(container),
              qPrintable(containerProperties.value(QStringLiteral("State")).toString()),
              qPrintable(containerProperties.value(QStringLiteral("Error")).toString()));
        QCOMPARE(containerProperties.value(QStringLiteral("State")).toString(), QStringLiteral("failed"));
        QVERIFY2(
            containerProperties.value(QStringLiteral("Error")).toString().contains(QStringLiteral("/no/such/program")),
            qPrintable(containerProperties.value(QStringLiteral("Error")).toString()));

        const QVariantMap spec {{QStringLiteral("source"), QStringLiteral("image")},
                                {QStringLiteral("image"), m_broken},
                                {QStringLiteral("network"), QStringLiteral("none")}};
        QCOMPARE(createAndWait(*m_client, QStringLiteral("vm"), QStringLiteral("ibroken-v"), spec), QString());
        QCOMPARE(waitForState(QStringLiteral("ibroken-v"), QStringLiteral("failed"), 90000), QStringLiteral("failed"));
        const QString error
            = instanceProperties(*m_client, QStringLiteral("ibroken-v")).value(QStringLiteral("Error")).toString();
        QVERIFY2(error.contains(QStringLiteral("\"/no/such/program\" does not exist in the image")), qPrintable(error));
        QCOMPARE(remove(QStringLiteral("ibroken-c")), QString());
        QCOMPARE(remove(QStringLiteral("ibroken-v")), QString());
    }

    // Acceptance 4: the image of a VM cannot be removed while the VM exists; then its disk goes too.
    void removeImage_isBusyWhileAVmUsesIt()
    {
        QCOMPARE(remove(QStringLiteral("ihello-c")), QString()); // only the VM holds it now
        const QString digest = imageDigest(m_hello);
        const auto refused = QCoro::waitFor(m_client->removeImage(m_hello));
        QCOMPARE(errorName(refused), QStringLiteral("dev.hamlet.Error.Busy"));
        QVERIFY2(std::get<ClientError>(refused).message.contains(QStringLiteral("ihello-v")),
                 qPrintable(std::get<ClientError>(refused).message));
        QCOMPARE(imageDigest(m_hello), digest); // nothing changed
        QVERIFY(QFile::exists(baseDisk(digest)));
        QCOMPARE(remove(QStringLiteral("ihello-v")), QString());
        QString failure;
        valueOr(QCoro::waitFor(m_client->removeImage(m_hello)), &failure);
        QCOMPARE(failure, QString());
        QVERIFY(!QFile::exists(baseDisk(digest)));
    }

    void cleanupTestCase()
    {
        for (const char *name : {"ibb1", "ibb2", "ihello-c", "ihello-v", "ibroken-c", "ibroken-v"})
            remove(QString::fromLatin1(name));
    }
};

QTEST_GUILESS_MAIN(TestImageVms)
#include "tst_imagevms.moc"
