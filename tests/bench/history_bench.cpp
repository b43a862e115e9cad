// The history's cost (issue 18, "Measure"): helper CPU per sampler tick with N running containers
// (HAMLET_BENCH_CONTAINERS, default 20) with the history recorded and with --no-history, both
// with a subscriber at 1 s so every tick does the same sampling and sending; the helper's CPU
// per second with nobody subscribed (recording only); the bytes the helper writes per hour per
// instance (/proc/PID/io write_bytes, the helper writing nothing else meanwhile); the store's size.
#include "benchsupport.h"
#include "clienttest.h"
#include "testsystem.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTest>

#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;
using namespace Hamlet::Bench;

namespace {
qint64 cpuTicksOf(qint64 pid)
{
    const QByteArray stat = readFile(QStringLiteral("/proc/%1/stat").arg(pid));
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    return fields.value(11).toLongLong() + fields.value(12).toLongLong(); // utime + stime, all threads
}

qint64 writeBytesOf(qint64 pid)
{
    for (const QByteArray &line : readFile(QStringLiteral("/proc/%1/io").arg(pid)).split('\n'))
        if (line.startsWith("write_bytes:"))
            return line.mid(12).trimmed().toLongLong();
    return -1;
}

double ms(qint64 ticks)
{
    return 1000.0 * double(ticks) / double(sysconf(_SC_CLK_TCK));
}

// Runs one helper with `containers` sleeping containers; prints its figures.
bool measure(bool history, int containers, int seconds)
{
    TestSystem system;
    if (!system.startBus()
        || !system.startHelper(history ? QStringList() : QStringList {QStringLiteral("--no-history")})) {
        std::fprintf(stderr, "cannot start the test system: %s\n", qPrintable(system.error()));
        return false;
    }
    HelperClient client(system.busAddress());
    const QVariantMap spec {{QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}},
                            {QStringLiteral("network"), QStringLiteral("none")}};
    for (int i = 0; i < containers; ++i)
        if (!createAndWait(client, QStringLiteral("container"), QStringLiteral("h%1").arg(i), spec).isEmpty())
            return false;
    const qint64 pid = system.helperPid();
    const char *mode = history ? "history recorded" : "--no-history";

    QSignalSpy samples(&client, &HelperClient::samples);
    QCoro::waitFor(client.subscribe(1000));
    QTest::qWait(3000);
    const qint64 cpuStart = cpuTicksOf(pid);
    const qsizetype before = samples.size();
    QTest::qWait(seconds * 1000);
    const qint64 cpu = cpuTicksOf(pid) - cpuStart;
    const qsizetype batches = samples.size() - before;
    QCoro::waitFor(client.unsubscribe());
    std::printf("%s, %d containers, subscribed at 1 s:\n", mode, containers);
    row("  helper CPU per tick", batches > 0 ? ms(cpu) / double(batches) : 0, "ms");

    QTest::qWait(2000);
    const qint64 idleCpu = cpuTicksOf(pid);
    const qint64 written = writeBytesOf(pid);
    QTest::qWait(seconds * 1000);
    row("  nobody subscribed: helper CPU per second", ms(cpuTicksOf(pid) - idleCpu) / seconds, "ms");
    const double perHour = double(writeBytesOf(pid) - written) * 3600.0 / seconds;
    row("  nobody subscribed: bytes written per hour per instance", perHour / containers, "B");
    if (history) {
        const QString store = system.stateDir() + QStringLiteral("/history.sqlite");
        row("  store file (db + wal) now",
            double(QFileInfo(store).size() + QFileInfo(store + QStringLiteral("-wal")).size()), "B");
    }
    for (int i = 0; i < containers; ++i)
        QCoro::waitFor(client.instanceCall(QStringLiteral("h%1").arg(i), QStringLiteral("Delete")));
    return true;
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int containers = qEnvironmentVariableIntValue("HAMLET_BENCH_CONTAINERS") > 0
        ? qEnvironmentVariableIntValue("HAMLET_BENCH_CONTAINERS")
        : 20;
    const int seconds = qEnvironmentVariableIntValue("HAMLET_BENCH_SECONDS") > 0
        ? qEnvironmentVariableIntValue("HAMLET_BENCH_SECONDS")
        : 30;
    std::printf("History (issue 18): %d containers, %d s per measurement\n", containers, seconds);
    return measure(false, containers, seconds) && measure(true, containers, seconds) ? 0 : 1;
}
