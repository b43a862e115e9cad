#pragma once

#include <QChartView>

class QLineSeries;
class QValueAxis;

namespace Hamlet {

class InstanceHistory;

// One Qt Chart with two instances' series overlaid (Compare): CPU % of one core or memory in
// MiB over the last minutes of their live histories (the list model's InstanceHistory, the one
// the Performance page draws), on one time axis, so that a container and a VM read side by side.
class CompareChart : public QChartView
{
    Q_OBJECT
public:
    enum class Measure { Cpu, Memory };
    CompareChart(Measure measure, const QString &nameA, const QString &nameB, QWidget *parent = nullptr);

    void showHistories(const InstanceHistory *a, const InstanceHistory *b, int windowSeconds = 120);
    int pointCount(int side) const;

private:
    Measure m_measure;
    QLineSeries *m_a;
    QLineSeries *m_b;
    QValueAxis *m_x;
    QValueAxis *m_y;
};

} // namespace Hamlet
