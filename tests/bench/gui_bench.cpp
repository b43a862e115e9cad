// GUI benchmark (not a ctest test): 100 instances with 1 h of history each.
//   - one Samples tick: model update + full repaint of the list with sparklines (target <= 16 ms)
//   - one Performance chart update: replacing the series' points (target <= 2 ms)
//   - resident memory of the process at that point (target <= 120 MB)
// Run under a real X server: xvfb-run -a -s "-screen 0 1280x800x24" build/tests/bench/gui_bench
#include "instancefiltermodel.h"
#include "instancelistmodel.h"
#include "instanceview.h"
#include "performancepage.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <vector>

using namespace Hamlet;

namespace {
constexpr int Instances = 100;
constexpr int HistorySeconds = 3600;
constexpr qulonglong MiB = 1024ULL * 1024ULL;
constexpr qulonglong Second = 1000000000ULL;

QString nameOf(int i)
{
    return (i % 2 ? QStringLiteral("house%1") : QStringLiteral("apartment%1")).arg(i);
}

SampleBatch batchAt(int tick)
{
    SampleBatch batch;
    batch.reserve(Instances);
    for (int i = 0; i < Instances; ++i) {
        const double load = 0.5 + 0.45 * std::sin(tick / 17.0 + i); // 5..95 % of a core
        const auto t = static_cast<qulonglong>(tick);
        batch.append({nameOf(i),
                      {{QStringLiteral("cpuNs"), static_cast<qulonglong>(t * Second * 0.5 + load * 1e8)},
                       {QStringLiteral("cpuLimitCores"), i % 2 ? 1.0 : 0.5},
                       {QStringLiteral("memoryBytes"), static_cast<qulonglong>((20 + 30 * load) * MiB)},
                       {QStringLiteral("memoryLimitBytes"), 64 * MiB},
                       {QStringLiteral("pids"), 3ULL},
                       {QStringLiteral("state"), QStringLiteral("running")}}});
    }
    return batch;
}

// CPU time of this thread: what the work costs, whatever else the shared machine runs.
double threadCpuMs()
{
    timespec now {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

double percentile95(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, values.size() * 95 / 100)];
}

double residentMiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toDouble() / 1024.0;
    return -1;
}

void report(const char *what, double ms, double p95, double target)
{
    std::printf("%-58s median %7.3f ms  p95 %7.3f ms  (target <= %g ms: %s)\n", what, ms, p95, target,
                ms <= target ? "met" : "MISSED");
}
} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    InstanceListModel model;
    InstanceSummaryList instances;
    for (int i = 0; i < Instances; ++i)
        instances.append(
            {nameOf(i), i % 2 ? QStringLiteral("vm") : QStringLiteral("container"), QStringLiteral("running"), {}});
    model.reset(instances);

    QElapsedTimer fill;
    fill.start();
    int tick = 0;
    for (; tick <= HistorySeconds; ++tick)
        model.addSamples(static_cast<qulonglong>(tick) * Second, batchAt(tick));
    std::printf("filled %d instances x %d s of history in %.0f ms\n", Instances, HistorySeconds,
                static_cast<double>(fill.elapsed()));

    // The list tall enough to show every row, so a repaint draws 100 rows of sparklines.
    InstanceFilterModel filter;
    InstanceView view(&model, &filter);
    view.resize(900, Instances * 32 + 40);
    view.show();
    if (!QTest::qWaitForWindowExposed(&view)) {
        std::fprintf(stderr, "the list window was not exposed: run under xvfb-run\n");
        return 1;
    }
    PerformancePage page;
    page.resize(640, 520);
    page.show();
    (void)QTest::qWaitForWindowExposed(&page);
    const InstanceHistory *history = model.stats().history(nameOf(0));

    constexpr int Rounds = 60;
    std::vector<double> modelOnly, tickTotal, tickCpu, chart1m, chart10m, chart1h;
    for (int round = 0; round < Rounds; ++round, ++tick) {
        const SampleBatch batch = batchAt(tick); // built by the D-Bus demarshalling in the real app
        QElapsedTimer timer;
        const double cpuStart = threadCpuMs();
        timer.start();
        model.addSamples(static_cast<qulonglong>(tick) * Second, batch);
        const double afterModel = static_cast<double>(timer.nsecsElapsed()) / 1e6;
        view.viewport()->repaint(); // synchronous full repaint of the visible list
        tickTotal.push_back(static_cast<double>(timer.nsecsElapsed()) / 1e6);
        tickCpu.push_back(threadCpuMs() - cpuStart);
        modelOnly.push_back(afterModel);

        for (const auto &[seconds, samples] :
             {std::pair {60, &chart1m}, std::pair {600, &chart10m}, std::pair {3600, &chart1h}}) {
            page.setWindowSeconds(seconds);
            timer.restart();
            page.showHistory(history, 0.5, 64 * MiB);
            samples->push_back(static_cast<double>(timer.nsecsElapsed()) / 1e6);
        }
        QCoreApplication::processEvents();
    }

    std::printf("\n%d instances, %d s of history each, %d ticks measured\n", Instances, HistorySeconds, Rounds);
    report("tick: model update (100 samples into StatsStore + dataChanged)", median(modelOnly), percentile95(modelOnly),
           16);
    report("tick: model update + full repaint of the list (sparklines)", median(tickTotal), percentile95(tickTotal),
           16);
    report("  the same in CPU time of the GUI thread (load-independent)", median(tickCpu), percentile95(tickCpu), 16);
    report("Performance chart update, 1 min window (61 points/series)", median(chart1m), percentile95(chart1m), 2);
    report("Performance chart update, 10 min window (601 points/series)", median(chart10m), percentile95(chart10m), 2);
    report("Performance chart update, 1 h window (3600 -> 600 points/series)", median(chart1h), percentile95(chart1h),
           2);
    const double rss = residentMiB();
    std::printf("resident memory with %d instances x 1 h of history, list and charts shown: %.1f MiB "
                "(target <= 120 MB: %s)\n",
                Instances, rss, rss * 1.048576 <= 120 ? "met" : "MISSED");
    return 0;
}
