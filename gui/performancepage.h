#pragma once

#include <QWidget>

class QButtonGroup;
class QChart;
class QChartView;
class QLabel;
class QLineSeries;
class QValueAxis;

namespace Hamlet {

class InstanceHistory;
class NetworkChart;

// The Performance tab: CPU %, memory and network traffic (NetworkChart) of one instance over the last 1 min, 10 min or
// 1 h (Qt Charts, with axes, units and the limit drawn as a dashed line). Each update replaces every series' points in
// one call, from the instance's history, so reopening the page shows the past hour at once. The chosen window is
// remembered (QSettings "performance/windowSeconds").
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

private:
    void setUpChart(QChart *chart, QValueAxis *x, QValueAxis *y, QLineSeries *series, QLineSeries *limit,
                    const QString &title, const QString &yTitle, const QColor &color);

    int m_windowSeconds = 60;
    const InstanceHistory *m_history = nullptr;
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
