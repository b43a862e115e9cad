#pragma once

#include "dbustypes.h"

#include <QWidget>

#include <optional>

class QButtonGroup;
class QChart;
class QChartView;
class QLabel;
class QLineSeries;
class QValueAxis;

namespace Hamlet {

class InstanceHistory;
class NetworkChart;

// The Performance tab: CPU %, memory and network traffic (NetworkChart) of one instance over the last 1 min, 10 min,
// 1 h (the live history, seeded from the helper's record: full after any restart), 24 h or 7 d (the helper's 1 min and
// 10 min means, fetched by the DetailsPane on longWindowWanted) (Qt Charts, with axes, units and the limit drawn as a
// dashed line). Each update replaces every series' points in one call. The chosen window is remembered (QSettings
// "performance/windowSeconds").
class PerformancePage : public QWidget
{
    Q_OBJECT
public:
    explicit PerformancePage(QWidget *parent = nullptr);

    // The history to draw (nullptr: nothing yet); cpuLimitCores/memoryLimitBytes 0 = no limit.
    // pidsLimit 0: not known (VMs, or not reported).
    void showHistory(const InstanceHistory *history, double cpuLimitCores, qulonglong memoryLimitBytes,
                     qulonglong pidsLimit = 0);
    void clear();
    // The helper's history for the 24 h or 7 d window (GetHistory at most 600 points).
    void showLongHistory(const HistoryData &history);
    static constexpr int LongestLiveWindow = 3600; // longer windows draw the helper's buckets

    void setWindowSeconds(int seconds);
    int windowSeconds() const { return m_windowSeconds; }
    int cpuPointCount() const;
    int memoryPointCount() const;
    QLabel *summaryLabel() const { return m_summary; }
    // Where the limit lines are drawn (CPU in %, memory in MiB); -1 when there is none.
    double cpuLimitLine() const;
    double memoryLimitLine() const;
    QValueAxis *timeAxis() const { return m_cpuX; }
    NetworkChart *networkChart() const { return m_network; }

Q_SIGNALS:
    // A window longer than the live hour was chosen: its history should be fetched.
    void longWindowWanted(int seconds);

private:
    void drawLong();
    void setUpChart(QChart *chart, QValueAxis *x, QValueAxis *y, QLineSeries *series, QLineSeries *limit,
                    const QString &title, const QString &yTitle, const QColor &color);

    int m_windowSeconds = 60;
    const InstanceHistory *m_history = nullptr;
    std::optional<HistoryData> m_long;
    double m_cpuLimitCores = 0;
    qulonglong m_memoryLimitBytes = 0;
    qulonglong m_pidsLimit = 0;
    QButtonGroup *m_windows;
    QLabel *m_summary;
    QChartView *m_cpuView;
    QChartView *m_memoryView;
    NetworkChart *m_network;
    QLineSeries *m_cpu;
    QLineSeries *m_cpuLimit;
    QLineSeries *m_memory;
    QLineSeries *m_memoryLimit;
    QValueAxis *m_cpuX;
    QValueAxis *m_cpuY;
    QValueAxis *m_memoryX;
    QValueAxis *m_memoryY;
};

} // namespace Hamlet
