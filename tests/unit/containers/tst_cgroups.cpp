#include "cgroups.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Hamlet::Containers;

namespace {

void writeFixture(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(content) != content.size())
        qFatal("cannot write fixture %s", qPrintable(path));
}

QByteArray readFixture(const QString &path)
{
    QFile file(path);
    // Fixtures are regular files that a write overwrites in place: compare without the old newline.
    return file.open(QIODevice::ReadOnly) ? file.readAll().trimmed() : QByteArray("<missing>");
}

// Captured from a Debian 12 host (v1, separate cpu and cpuacct hierarchies) and a v2 host.
const QByteArray kV1MemoryStat = "cache 8192\nrss 1048576\ntotal_cache 8192\ntotal_rss 1048576\n"
                                 "total_inactive_file 4096\ntotal_active_file 4096\n";
const QByteArray kV2CpuStat = "usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\n"
                              "nr_periods 40\nnr_throttled 3\nthrottled_usec 52000\n";
const QByteArray kV2MemoryStat = "anon 1048576\nfile 12288\nkernel 65536\nactive_file 4096\ninactive_file 8192\n";

} // namespace

class TestCgroups : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    int m_counter = 0;

    QString v1Root()
    {
        const QString root = m_dir.filePath(QStringLiteral("v1-%1").arg(++m_counter));
        const QString path = QStringLiteral("/hamlet/web1");
        writeFixture(root + QStringLiteral("/cpuacct") + path + QStringLiteral("/cpuacct.usage"), "987654321\n");
        writeFixture(root + QStringLiteral("/cpu") + path + QStringLiteral("/cpu.cfs_quota_us"), "50000\n");
        writeFixture(root + QStringLiteral("/cpu") + path + QStringLiteral("/cpu.cfs_period_us"), "100000\n");
        writeFixture(root + QStringLiteral("/memory") + path + QStringLiteral("/memory.usage_in_bytes"), "1060864\n");
        writeFixture(root + QStringLiteral("/memory") + path + QStringLiteral("/memory.limit_in_bytes"), "67108864\n");
        writeFixture(root + QStringLiteral("/memory") + path + QStringLiteral("/memory.stat"), kV1MemoryStat);
        writeFixture(root + QStringLiteral("/pids") + path + QStringLiteral("/pids.current"), "3\n");
        writeFixture(root + QStringLiteral("/pids") + path + QStringLiteral("/pids.max"), "64\n");
        return root;
    }

    QString v2Root()
    {
        const QString root = m_dir.filePath(QStringLiteral("v2-%1").arg(++m_counter));
        const QString dir = root + QStringLiteral("/hamlet/web1");
        writeFixture(dir + QStringLiteral("/cpu.stat"), kV2CpuStat);
        writeFixture(dir + QStringLiteral("/cpu.max"), "50000 100000\n");
        writeFixture(dir + QStringLiteral("/memory.current"), "1069056\n");
        writeFixture(dir + QStringLiteral("/memory.max"), "max\n");
        writeFixture(dir + QStringLiteral("/memory.stat"), kV2MemoryStat);
        writeFixture(dir + QStringLiteral("/pids.current"), "5\n");
        writeFixture(dir + QStringLiteral("/pids.max"), "max\n");
        return root;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void parseLimit_readsNumbersAndUnlimited()
    {
        QCOMPARE(CgroupFiles::parseLimit("67108864\n"), std::optional<quint64>(67108864));
        QVERIFY(!CgroupFiles::parseLimit("max\n"));
        QVERIFY(!CgroupFiles::parseLimit("9223372036854771712\n")); // v1 "unlimited"
        QVERIFY(!CgroupFiles::parseLimit("-1"));
        QVERIFY(!CgroupFiles::parseLimit(""));
    }

    void cpuLimits_areCores()
    {
        QCOMPARE(CgroupFiles::cpusFromCpuMax("50000 100000\n"), std::optional<double>(0.5));
        QVERIFY(!CgroupFiles::cpusFromCpuMax("max 100000\n"));
        QCOMPARE(CgroupFiles::cpusFromQuota("150000\n", "100000\n"), std::optional<double>(1.5));
        QVERIFY(!CgroupFiles::cpusFromQuota("-1\n", "100000\n"));
    }

    void keyedValue_findsTheExactKey()
    {
        QCOMPARE(CgroupFiles::keyedValue(kV2CpuStat, "usage_usec"), std::optional<quint64>(1234567));
        QCOMPARE(CgroupFiles::keyedValue(kV2MemoryStat, "file"), std::optional<quint64>(12288)); // not active_file
        QVERIFY(!CgroupFiles::keyedValue(kV2CpuStat, "usage"));
    }

    void v1_statsFromTheControllerHierarchies()
    {
        const ContainerCgroup cgroup(QStringLiteral("hybrid"), QStringLiteral("/hamlet/web1"), v1Root());
        const auto stats = cgroup.stats();
        QVERIFY2(stats.ok(), stats.ok() ? "" : qPrintable(stats.error().message));
        QCOMPARE(stats->cpuUsageNs, 987654321ull);
        QCOMPARE(stats->memoryUsage, 1060864ull - 4096); // page cache that can be dropped is not "used"
        QCOMPARE(stats->memoryLimit, std::optional<quint64>(67108864));
        QCOMPARE(stats->pids, 3ull);
        QCOMPARE(stats->pidsLimit, std::optional<quint64>(64));
        QCOMPARE(stats->cpus, std::optional<double>(0.5));
    }

    void v1_findsCoMountedControllers()
    {
        const QString root = m_dir.filePath(QStringLiteral("comounted"));
        writeFixture(root + QStringLiteral("/cpu,cpuacct/hamlet/x/cpuacct.usage"), "42\n");
        const ContainerCgroup cgroup(QStringLiteral("v1"), QStringLiteral("/hamlet/x"), root);
        QCOMPARE(cgroup.directory(QStringLiteral("cpuacct")), root + QStringLiteral("/cpu,cpuacct/hamlet/x"));
        QCOMPARE(cgroup.directory(QStringLiteral("cpu")), root + QStringLiteral("/cpu,cpuacct/hamlet/x"));
        QCOMPARE(cgroup.stats()->cpuUsageNs, 42ull);
    }

    void v2_statsFromTheUnifiedDirectory()
    {
        const ContainerCgroup cgroup(QStringLiteral("v2"), QStringLiteral("/hamlet/web1"), v2Root());
        const auto stats = cgroup.stats();
        QVERIFY2(stats.ok(), stats.ok() ? "" : qPrintable(stats.error().message));
        QCOMPARE(stats->cpuUsageNs, 1234567000ull);
        QCOMPARE(stats->memoryUsage, 1069056ull - 8192);
        QVERIFY(!stats->memoryLimit);
        QCOMPARE(stats->pids, 5ull);
        QVERIFY(!stats->pidsLimit);
        QCOMPARE(stats->cpus, std::optional<double>(0.5));
    }

    void stats_ofAGoneCgroupIsNotFound()
    {
        const ContainerCgroup cgroup(QStringLiteral("v2"), QStringLiteral("/hamlet/gone"), v2Root());
        QCOMPARE(cgroup.stats().error().name, Hamlet::Error::NotFound);
    }

    void v1_setLimitsWritesEachController()
    {
        const QString root = v1Root();
        const ContainerCgroup cgroup(QStringLiteral("v1"), QStringLiteral("/hamlet/web1"), root);
        ContainerLimits limits;
        limits.cpus = 1.25;
        limits.memory = 134217728;
        limits.pids = 100;
        QVERIFY(cgroup.setLimits(limits).ok());
        QCOMPARE(readFixture(root + QStringLiteral("/cpu/hamlet/web1/cpu.cfs_quota_us")), QByteArray("125000"));
        QCOMPARE(readFixture(root + QStringLiteral("/cpu/hamlet/web1/cpu.cfs_period_us")), QByteArray("100000"));
        QCOMPARE(readFixture(root + QStringLiteral("/memory/hamlet/web1/memory.limit_in_bytes")),
                 QByteArray("134217728"));
        QCOMPARE(readFixture(root + QStringLiteral("/pids/hamlet/web1/pids.max")), QByteArray("100"));
    }

    void v2_setLimitsWritesOnlyWhatIsGiven()
    {
        const QString root = v2Root();
        const ContainerCgroup cgroup(QStringLiteral("v2"), QStringLiteral("/hamlet/web1"), root);
        ContainerLimits limits;
        limits.cpus = 0.25;
        QVERIFY(cgroup.setLimits(limits).ok());
        QCOMPARE(readFixture(root + QStringLiteral("/hamlet/web1/cpu.max")), QByteArray("25000 100000"));
        QCOMPARE(readFixture(root + QStringLiteral("/hamlet/web1/memory.max")), QByteArray("max"));
    }

    void setLimits_onAMissingCgroupFailsWithThePath()
    {
        const ContainerCgroup cgroup(QStringLiteral("v2"), QStringLiteral("/hamlet/none"), v2Root());
        ContainerLimits limits;
        limits.pids = 5;
        const Status status = cgroup.setLimits(limits);
        QVERIFY(!status.ok());
        QVERIFY(status.error().message.contains(QStringLiteral("/hamlet/none/pids.max")));
    }
};

QTEST_GUILESS_MAIN(TestCgroups)
#include "tst_cgroups.moc"
