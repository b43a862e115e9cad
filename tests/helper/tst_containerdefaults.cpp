// A default container seen from the inside: the container's own process reports what it can do
// (capabilities, seccomp, no_new_privs, masked and read-only paths, /dev, mknod, pids limit, OOM
// score) through its log, so what is checked is what runc really applied, not the config.json.
#include "clienttest.h"
#include "testsystem.h"

#include <QDeadlineTimer>
#include <QTest>

#include <QCoro/QCoroTask>
#include <fcntl.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {
// Runs as the container's command; prints KEY=value lines, then DONE, then stays.
const QString Probe = QStringLiteral(R"sh(
s=/proc/self/status
echo CAPEFF=$(awk '/^CapEff/{print $2}' $s)
echo CAPPRM=$(awk '/^CapPrm/{print $2}' $s)
echo CAPBND=$(awk '/^CapBnd/{print $2}' $s)
echo SECCOMP=$(awk '/^Seccomp:/{print $2}' $s)
echo NNP=$(awk '/^NoNewPrivs/{print $2}' $s)
echo KCORE=$([ -e /proc/kcore ] && wc -c < /proc/kcore || echo absent)
echo INTERRUPTS=$(wc -c < /proc/interrupts)
echo PROCSYS=$( (echo intruder > /proc/sys/kernel/hostname) 2>/dev/null && echo writable || echo refused)
echo SYSRQ=$( (echo h > /proc/sysrq-trigger) 2>/dev/null && echo writable || echo refused)
echo PROCSYSMOUNT=$(awk '$5=="/proc/sys"{print $6}' /proc/self/mountinfo)
echo SYSMOUNT=$(awk '$5=="/sys"{print $6}' /proc/self/mountinfo)
echo SYSWRITE=$(touch /sys/hamlet-probe 2>&1)
echo DEV=$(ls -A /dev | tr '\n' ' ')
echo BLOCKDEVS=$(find /dev -type b | wc -l)
echo CHARDEVS=$(find /dev -type c | sort | tr '\n' ' ')
echo MKNODB=$(mknod /tmp/b b 7 0 2>/dev/null && echo made || echo refused)
echo MKNODC=$(mknod /tmp/c c 1 1 2>/dev/null && echo made || echo refused)
echo PIDSMAX=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)
echo OOM=$(cat /proc/1/oom_score_adj)
echo ROOTMOUNT=$(awk '$5=="/"{print $6}' /proc/self/mountinfo)
echo DONE
exec sleep 3600
)sh");

QMap<QString, QString> keyValues(const QByteArray &log)
{
    QMap<QString, QString> values;
    for (const QByteArray &line : log.split('\n')) {
        const qsizetype equals = line.indexOf('=');
        if (equals > 0)
            values.insert(QString::fromUtf8(line.left(equals)).trimmed(),
                          QString::fromUtf8(line.mid(equals + 1)).trimmed());
    }
    return values;
}

// Gives a process the helper's packaged -500, or +500 where this test lacks CAP_SYS_RESOURCE
// (lowering needs it; any root may raise): either way a child that inherits it is not at 0.
// Returns the value set, or "" when neither could be set.
QByteArray setOomScoreAdj(qint64 pid)
{
    for (const QByteArray &value : {QByteArray("-500"), QByteArray("500")}) {
        const int fd = ::open(QStringLiteral("/proc/%1/oom_score_adj").arg(pid).toLocal8Bit().constData(), O_WRONLY);
        const bool written
            = fd >= 0 && ::write(fd, value.constData(), static_cast<size_t>(value.size())) == value.size();
        if (fd >= 0)
            ::close(fd);
        if (written)
            return value;
    }
    return {};
}

int bitCount(const QString &hex)
{
    bool ok = false;
    const qulonglong mask = hex.toULongLong(&ok, 16);
    return ok ? __builtin_popcountll(mask) : -1;
}
} // namespace

class TestContainerDefaults : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;
    QMap<QString, QString> m_inside;
    QByteArray m_helperOomScoreAdj;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        // As the packaged unit runs it (OOMScoreAdjust=-500): what it starts must not inherit it.
        m_helperOomScoreAdj = setOomScoreAdj(m_system.helperPid());
        QVERIFY(!m_helperOomScoreAdj.isEmpty());

        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        const QVariantMap spec {
            {QStringLiteral("command"), QStringList {QStringLiteral("sh"), QStringLiteral("-c"), Probe}},
            {QStringLiteral("pids"), QVariant::fromValue<qulonglong>(77)}};
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), QStringLiteral("probe1"), spec), QString());
        // The log of a container without a terminal: read again until the probe is done.
        QByteArray log;
        QDeadlineTimer deadline(30000);
        while (!log.contains("DONE") && !deadline.hasExpired()) {
            const auto fd = QCoro::waitFor(m_client->openFd(QStringLiteral("probe1"), QStringLiteral("OpenConsole")));
            QVERIFY(std::holds_alternative<int>(fd));
            log = readUntil(std::get<int>(fd), "DONE", 2000);
            ::close(std::get<int>(fd));
            if (!log.contains("DONE"))
                QTest::qWait(300);
        }
        QVERIFY2(log.contains("DONE"), log.constData());
        m_inside = keyValues(log);
        qInfo().noquote() << "seen from inside:" << log;
    }

    void capabilities_arePodmansEleven()
    {
        // CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT
        for (const char *set : {"CAPEFF", "CAPPRM", "CAPBND"}) {
            QCOMPARE(m_inside.value(QLatin1String(set)), QStringLiteral("00000000800405fb"));
            QCOMPARE(bitCount(m_inside.value(QLatin1String(set))), 11);
        }
    }

    void seccompFilterAndNoNewPrivs()
    {
        QCOMPARE(m_inside.value(QStringLiteral("SECCOMP")), QStringLiteral("2"));
        QCOMPARE(m_inside.value(QStringLiteral("NNP")), QStringLiteral("1"));
    }

    void maskedPaths_readAsEmpty()
    {
        // Masked (empty) where the host kernel has it; some kernels have no /proc/kcore at all.
        QCOMPARE(m_inside.value(QStringLiteral("KCORE")),
                 QFile::exists(QStringLiteral("/proc/kcore")) ? QStringLiteral("0") : QStringLiteral("absent"));
        QVERIFY(readFile(QStringLiteral("/proc/interrupts")).size() > 0); // the host's is not empty
        QCOMPARE(m_inside.value(QStringLiteral("INTERRUPTS")), QStringLiteral("0"));
    }

    void procSysSysAndSysrq_areReadOnly()
    {
        QCOMPARE(m_inside.value(QStringLiteral("PROCSYS")), QStringLiteral("refused"));
        QCOMPARE(m_inside.value(QStringLiteral("SYSRQ")), QStringLiteral("refused"));
        QVERIFY2(m_inside.value(QStringLiteral("SYSWRITE")).contains(QStringLiteral("Read-only file system")),
                 qPrintable(m_inside.value(QStringLiteral("SYSWRITE"))));
        QVERIFY2(m_inside.value(QStringLiteral("PROCSYSMOUNT")).split(QLatin1Char(',')).contains(QStringLiteral("ro")),
                 qPrintable(m_inside.value(QStringLiteral("PROCSYSMOUNT"))));
        QVERIFY2(m_inside.value(QStringLiteral("SYSMOUNT")).split(QLatin1Char(',')).contains(QStringLiteral("ro")),
                 qPrintable(m_inside.value(QStringLiteral("SYSMOUNT"))));
    }

    void dev_isFreshWithOnlyTheStandardNodes()
    {
        const QStringList standard {
            QStringLiteral("null"),    QStringLiteral("zero"),   QStringLiteral("full"),   QStringLiteral("random"),
            QStringLiteral("urandom"), QStringLiteral("tty"),    QStringLiteral("ptmx"),   QStringLiteral("fd"),
            QStringLiteral("stdin"),   QStringLiteral("stdout"), QStringLiteral("stderr"), QStringLiteral("pts"),
            QStringLiteral("shm"),     QStringLiteral("mqueue"), QStringLiteral("core"),   QStringLiteral("console")};
        const QStringList entries = m_inside.value(QStringLiteral("DEV")).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        for (const QString &required : {QStringLiteral("null"), QStringLiteral("zero"), QStringLiteral("urandom")})
            QVERIFY2(entries.contains(required), qPrintable(m_inside.value(QStringLiteral("DEV"))));
        for (const QString &entry : entries)
            QVERIFY2(standard.contains(entry), qPrintable(QStringLiteral("unexpected /dev/") + entry));
        QCOMPARE(m_inside.value(QStringLiteral("BLOCKDEVS")), QStringLiteral("0"));
        const QStringList chars
            = m_inside.value(QStringLiteral("CHARDEVS")).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        for (const QString &device : chars)
            QVERIFY2(!device.contains(QStringLiteral("mem")) && !device.contains(QStringLiteral("kmsg")),
                     qPrintable(device));
    }

    void mknod_ofABlockOrMemoryDeviceFails()
    {
        QCOMPARE(m_inside.value(QStringLiteral("MKNODB")), QStringLiteral("refused"));
        QCOMPARE(m_inside.value(QStringLiteral("MKNODC")), QStringLiteral("refused"));
    }

    void pidsLimit_isTheSpecs() { QCOMPARE(m_inside.value(QStringLiteral("PIDSMAX")), QStringLiteral("77")); }

    void oomScoreAdj_isZeroWhileTheHelpersIsNot()
    {
        QCOMPARE(readFile(QStringLiteral("/proc/%1/oom_score_adj").arg(m_system.helperPid())).trimmed(),
                 m_helperOomScoreAdj);
        QCOMPARE(m_inside.value(QStringLiteral("OOM")), QStringLiteral("0"));
    }

    void rootfs_isMountedNosuidNodev()
    {
        const QStringList options = m_inside.value(QStringLiteral("ROOTMOUNT")).split(QLatin1Char(','));
        QVERIFY2(options.contains(QStringLiteral("nosuid")) && options.contains(QStringLiteral("nodev")),
                 qPrintable(m_inside.value(QStringLiteral("ROOTMOUNT"))));
    }

    void cleanupTestCase()
    {
        if (m_client)
            QCoro::waitFor(m_client->instanceCall(QStringLiteral("probe1"), QStringLiteral("Delete")));
    }
};

QTEST_GUILESS_MAIN(TestContainerDefaults)
#include "tst_containerdefaults.moc"
