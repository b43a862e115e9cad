// Issue 17 acceptance 3: from inside a default container (a user namespace of its own, on the
// Hamlet network), as its root, nothing of the host can be written. The container's own process
// tries each way out and reports; the test lists every try with what happened and fails on any
// that worked.
#include "clienttest.h"
#include "testsystem.h"

#include <QDeadlineTimer>
#include <QTest>

#include <QCoro/QCoroTask>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {
// One "TRY <what> => <outcome>" line per attempt; "WROTE" in an outcome is an escape.
// (Plain string literals: moc misreads a raw string with double quotes in it.)
const char *const Probe
    = "try() { what=\"$1\"; shift; if out=$(\"$@\" 2>&1); then echo \"TRY $what => WROTE $out\"; else echo \"TRY $what "
      "=> refused: $out\"; fi; }\n"
      "# Every mount that is not the container's own rootfs or a filesystem made for it alone: a new file\n"
      "# in a mounted directory, an append to a mounted file.\n"
      "while read -r _ _ _ _ point _ _ rest; do\n"
      "  fstype=${rest#*- }; fstype=${fstype%% *}\n"
      "  case \"$point\" in /) continue;; esac\n"
      "  case \"$fstype\" in proc|tmpfs|devpts|mqueue) continue;; esac\n"
      "  # A mount hidden under a later one (the host's cgroup2 under runc's /sys/fs/cgroup) is not reachable.\n"
      "  if [ ! -e \"$point\" ]; then echo \"TRY reach $point ($fstype) => hidden: nothing at that path\"; continue; "
      "fi\n"
      "  if [ -d \"$point\" ]; then try \"new file in $point ($fstype)\" sh -c \"echo hamlet-escape-mark > "
      "'$point/.hamlet-escape'\"\n"
      "  elif [ -c \"$point\" ]; then continue  # /dev/null and its kind, bound from the host: devices, not files\n"
      "  else try \"append to $point ($fstype)\" sh -c \"echo hamlet-escape-mark >> '$point'\"; fi\n"
      "done < /proc/self/mountinfo\n"
      "try \"write /proc/sys/kernel/hostname\" sh -c 'echo hamlet-escape-mark > /proc/sys/kernel/hostname'\n"
      "try \"write /proc/sys/vm/drop_caches\" sh -c 'echo 3 > /proc/sys/vm/drop_caches'\n"
      "try \"write /proc/sysrq-trigger\" sh -c 'echo h > /proc/sysrq-trigger'\n"
      "try \"write /sys/kernel/mm/ksm/run\" sh -c 'echo 1 > /sys/kernel/mm/ksm/run'\n"
      "try \"new file in /sys\" sh -c 'echo x > /sys/.hamlet-escape'\n"
      "try \"mknod block device 8:0\" mknod /tmp/sda b 8 0\n"
      "try \"mknod block device 7:0 (loop)\" mknod /tmp/loop0 b 7 0\n"
      "try \"mount a new sysfs\" mount -t sysfs sysfs /mnt\n"
      "try \"remount / of proc rw\" mount -o remount,rw /proc/sys\n"
      "# unshare -U: a user namespace of its own again, where it would have every capability.\n"
      "echo \"TRY unshare -U (a nested user namespace, all capabilities in it) => obtained: $(unshare -U -r sh -c "
      "'grep CapEff /proc/self/status' 2>&1)\"\n"
      "try \"unshare -U, then write /proc/sys/kernel/hostname\" unshare -U -r sh -c 'echo hamlet-escape-mark > "
      "/proc/sys/kernel/hostname'\n"
      "try \"unshare -U, then mknod block device\" unshare -U -r sh -c 'mknod /tmp/sdb b 8 16'\n"
      "try \"unshare -Um, then mount the host's /dev/vda\" unshare -U -r -m sh -c 'mount /dev/vda /mnt'\n"
      "try \"unshare -Um, then remount /sys rw\" unshare -U -r -m sh -c 'mount -o remount,rw /sys'\n"
      "try \"unshare -U, then write a file of /etc/hosts\" unshare -U -r sh -c 'echo hamlet-escape-mark >> "
      "/etc/hosts'\n"
      "echo DONE\n"
      "exec sleep 3600\n";
} // namespace

class TestUsernsEscape : public QObject
{
    Q_OBJECT

    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
    }

    void defaultContainersRoot_writesNothingOfTheHost()
    {
        // The defaults: userns auto, the Hamlet network (its namespace is the helper's, owned by
        // the host's user namespace: /sys is the host's, bound read-only).
        const QVariantMap spec {{QStringLiteral("command"),
                                 QStringList {QStringLiteral("sh"), QStringLiteral("-c"), QString::fromUtf8(Probe)}}};
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("escape1"), spec), QString());
        QByteArray log;
        QDeadlineTimer deadline(30000);
        while (!log.contains("DONE") && !deadline.hasExpired()) {
            const auto fd = QCoro::waitFor(m_client->openFd(QStringLiteral("escape1"), QStringLiteral("OpenConsole")));
            QVERIFY(std::holds_alternative<int>(fd));
            log = readUntil(std::get<int>(fd), "DONE", 2000);
            ::close(std::get<int>(fd));
            if (!log.contains("DONE"))
                QTest::qWait(300);
        }
        QVERIFY2(log.contains("DONE"), log.constData());
        QStringList tries;
        QStringList escapes;
        for (const QByteArray &line : log.split('\n')) {
            if (!line.startsWith("TRY "))
                continue;
            tries << QString::fromUtf8(line.mid(4));
            if (line.contains("=> WROTE"))
                escapes << QString::fromUtf8(line.mid(4));
        }
        qInfo().noquote() << "tried from inside, as the container's root:\n  " + tries.join(QStringLiteral("\n  "));
        QVERIFY2(tries.size() >= 15, log.constData()); // the mounts (hosts, resolv.conf, /sys...) and the rest
        QVERIFY2(escapes.isEmpty(), qPrintable(escapes.join(QLatin1Char('\n'))));
        // The host's files it aimed at are untouched.
        const QString bundle = m_system.stateDir() + QStringLiteral("/containers/escape1");
        QVERIFY(!readFile(bundle + QStringLiteral("/hosts")).contains("hamlet-escape-mark"));
        QVERIFY(!QFile::exists(QStringLiteral("/sys/.hamlet-escape")));
    }

    void ownNetwork_execAndLowPortsWork()
    {
        // Its network namespace belongs to its user namespace: the runtime can enter both (Exec),
        // and its root binds a port below 1024 there, as root of the host's user namespace could.
        const Run exec
            = m_system.run({}, TestSystem::ctlProgram(),
                           {QStringLiteral("exec"), QStringLiteral("escape1"), QStringLiteral("--"),
                            QStringLiteral("sh"), QStringLiteral("-c"),
                            QStringLiteral("id -u; httpd -p 80 -h /tmp && echo bound; awk '$5==\"/sys\"{print "
                                           "$9}' /proc/self/mountinfo")});
        QVERIFY2(exec.exitCode == 0, (exec.out + exec.err).constData());
        const QList<QByteArray> lines = QByteArray(exec.out).replace("\r", "").trimmed().split('\n'); // a pty's
        QCOMPARE(lines.value(0), QByteArray("0"));
        QCOMPARE(lines.value(1), QByteArray("bound"));
        QCOMPARE(lines.value(2), QByteArray("sysfs")); // a sysfs of its own network, not the host's bound
    }

    void cleanupTestCase()
    {
        if (m_client)
            QCoro::waitFor(m_client->instanceCall(QStringLiteral("escape1"), QStringLiteral("Delete")));
    }
};

QTEST_GUILESS_MAIN(TestUsernsEscape)
#include "tst_usernsescape.moc"
