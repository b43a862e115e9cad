#include "comparechart.h"

#include "formatting.h"
#include "instancehistory.h"

#include <QChart>
#include <QLineSeries>
#include <QValueAxis>

namespace Hamlet {

CompareChart::CompareChart(Measure measure, const QString &nameA, const QString &nameB, QWidget *parent)
    : QChartView(parent)
    , m_measure(measure)
    , m_a(new QLineSeries)
    , m_b(new QLineSeries)
    , m_x(new QValueAxis)
    , m_y(new QValueAxis)
{
    auto *chart = new QChart;
    chart->setTitle(measure == Measure::Cpu ? tr("CPU (% of one core)") : tr("Host memory (MiB)"));
    m_a->setName(nameA);
    m_b->setName(nameB);
    m_a->setColor(QColor(0x1f, 0x77, 0xb4));
    m_b->setColor(QColor(0xd6, 0x27, 0x28));
    chart->addSeries(m_a);
    chart->addSeries(m_b);
    m_x->setTitleText(tr("seconds ago"));
    m_x->setLabelFormat(QStringLiteral("%.0f"));
    m_y->setLabelFormat(QStringLiteral("%.0f"));
    chart->addAxis(m_x, Qt::AlignBottom);
    chart->addAxis(m_y, Qt::AlignLeft);
    for (QLineSeries *series : {m_a, m_b}) {
        series->attachAxis(m_x);
        series->attachAxis(m_y);
    }
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(2, 2, 2, 2));
    setChart(chart);
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(240);
}

void CompareChart::showHistories(const InstanceHistory *a, const InstanceHistory *b, int windowSeconds)
{
    // One clock for both: the samples of one tick carry the same monotonic time.
    double now = 0;
    for (const InstanceHistory *history : {a, b})
        if (history && history->size() > 0)
            now = std::max(now, history->at(history->size() - 1).seconds);
    double top = m_measure == Measure::Cpu ? 100.0 : 1.0;
    const auto points = [&](const InstanceHistory *history) {
        QList<QPointF> list;
        if (!history)
            return list;
        for (std::size_t i = 0; i < history->size(); ++i) {
            const StatPoint &point = history->at(i);
            if (point.seconds < now - windowSeconds)
                continue;
            const double y = m_measure == Measure::Cpu ? point.cpuPercent
                                                       : static_cast<double>(point.memoryBytes) / (1024.0 * 1024.0);
            top = std::max(top, y);
            list.append(QPointF(point.seconds - now, y));
        }
        return list;
    };
    m_a->replace(points(a));
    m_b->replace(points(b));
    m_x->setRange(-windowSeconds, 0);
    m_y->setRange(0, Format::niceAxisTop(top * 1.05));
}

int CompareChart::pointCount(int side) const
{
    return static_cast<int>((side == 0 ? m_a : m_b)->count());
}

} // namespace Hamlet
