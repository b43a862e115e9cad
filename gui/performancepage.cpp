#include "performancepage.h"

#include "formatting.h"
#include "instancehistory.h"
#include "networkchart.h"

#include <QButtonGroup>
#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QSettings>
#include <QToolButton>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace Hamlet {

namespace {
constexpr double MiB = 1024.0 * 1024.0;
const QString WindowKey = QStringLiteral("performance/windowSeconds");

// The time axis' unit for a window: s, min, h or d.
double axisDivisor(int seconds)
{
    return seconds > 86400                             ? 86400.0
        : seconds > PerformancePage::LongestLiveWindow ? 3600.0
        : seconds > 60                                 ? 60.0
                                                       : 1.0;
}
} // namespace

PerformancePage::PerformancePage(QWidget *parent)
    : QWidget(parent)
    , m_windows(new QButtonGroup(this))
    , m_summary(new QLabel(this))
    , m_network(new NetworkChart(this))
    , m_cpu(new QLineSeries(this))
    , m_cpuLimit(new QLineSeries(this))
    , m_memory(new QLineSeries(this))
    , m_memoryLimit(new QLineSeries(this))
    , m_cpuX(new QValueAxis(this))
    , m_cpuY(new QValueAxis(this))
    , m_memoryX(new QValueAxis(this))
    , m_memoryY(new QValueAxis(this))
{
    m_summary->setWordWrap(true);
    m_summary->setMinimumHeight(m_summary->fontMetrics().lineSpacing() * 3 + 4);
    // The summary on a row of its own: with the network it is two lines at the pane's usual width.
    auto *bar = new QHBoxLayout;
    bar->addStretch(1);
    for (const auto &[seconds, label] : {std::pair {60, tr("1 min")},
                                         {600, tr("10 min")},
                                         {3600, tr("1 h")},
                                         {86400, tr("24 h")},
                                         {604800, tr("7 d")}}) {
        auto *button = new QToolButton(this);
        button->setText(label);
        button->setCheckable(true);
        button->setObjectName(QStringLiteral("window%1").arg(seconds));
        m_windows->addButton(button, seconds);
        bar->addWidget(button);
    }
    m_windows->setExclusive(true);
    connect(m_windows, &QButtonGroup::idClicked, this, &PerformancePage::setWindowSeconds);

    auto *cpuChart = new QChart;
    setUpChart(cpuChart, m_cpuX, m_cpuY, m_cpu, m_cpuLimit, tr("CPU (100% = one core)"), tr("%"),
               QColor(0x2e, 0x86, 0xde));
    auto *memoryChart = new QChart;
    setUpChart(memoryChart, m_memoryX, m_memoryY, m_memory, m_memoryLimit, tr("Memory"), tr("MiB"),
               QColor(0x8e, 0x44, 0xad));
    m_cpuView = new QChartView(cpuChart, this);
    m_memoryView = new QChartView(memoryChart, this);
    for (QChartView *view : {m_cpuView, m_memoryView}) {
        view->setRenderHint(QPainter::Antialiasing);
        view->setMinimumHeight(140);
    }

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addLayout(bar);
    layout->addWidget(m_cpuView, 1);
    layout->addWidget(m_memoryView, 1);
    layout->addWidget(m_network, 1);

    const int saved = QSettings().value(WindowKey, 60).toInt();
    setWindowSeconds(saved == 600 || saved == 3600 || saved == 86400 || saved == 604800 ? saved : 60);
    clear();
}

void PerformancePage::setUpChart(QChart *chart, QValueAxis *x, QValueAxis *y, QLineSeries *series, QLineSeries *limit,
                                 const QString &title, const QString &yTitle, const QColor &color)
{
    // Three charts share the pane: no legend (the title names the line, the dashed line is the
    // limit) and no time-axis title (the network chart, last, has it), so the labels keep room.
    chart->setTitle(title + tr(" · dashed: limit"));
    chart->legend()->hide();
    x->setTitleVisible(false);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setAnimationOptions(QChart::NoAnimation);
    series->setName(title.section(QLatin1Char(' '), 0, 0));
    series->setPen(QPen(color, 2));
    limit->setName(tr("limit"));
    QPen dashed(QColor(0xc0, 0x39, 0x2b), 1.5, Qt::DashLine);
    limit->setPen(dashed);
    chart->addSeries(series);
    chart->addSeries(limit);
    x->setLabelFormat(QStringLiteral("%g"));
    y->setLabelFormat(QStringLiteral("%g"));
    y->setTitleText(yTitle);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    for (QLineSeries *s : {series, limit}) {
        s->attachAxis(x);
        s->attachAxis(y);
    }
}

void PerformancePage::setWindowSeconds(int seconds)
{
    m_windowSeconds = seconds;
    if (QAbstractButton *button = m_windows->button(seconds))
        button->setChecked(true);
    QSettings().setValue(WindowKey, seconds);
    const double divisor = axisDivisor(seconds);
    const QString unit = divisor == 86400 ? QStringLiteral("d")
        : divisor == 3600                 ? QStringLiteral("h")
        : divisor == 60                   ? QStringLiteral("min")
                                          : QStringLiteral("s");
    for (QValueAxis *x : {m_cpuX, m_memoryX}) {
        x->setTitleText(divisor == 86400      ? tr("days ago")
                            : divisor == 3600 ? tr("hours ago")
                            : divisor == 60   ? tr("minutes ago")
                                              : tr("seconds ago"));
        // The axis titles are hidden to give the three charts room: the labels carry the unit.
        x->setLabelFormat(QStringLiteral("%g ") + unit);
        x->setRange(-seconds / divisor, 0);
        x->setTickCount(seconds == 86400 ? 7 : seconds == 604800 ? 8 : 7);
    }
    m_long.reset(); // a long window's buckets are fetched for it
    showHistory(m_history, m_cpuLimitCores, m_memoryLimitBytes, m_pidsLimit);
    if (seconds > LongestLiveWindow)
        Q_EMIT longWindowWanted(seconds);
}

void PerformancePage::clear()
{
    m_history = nullptr;
    for (QLineSeries *series : {m_cpu, m_cpuLimit, m_memory, m_memoryLimit})
        series->clear();
    m_cpuY->setRange(0, 100);
    m_memoryY->setRange(0, 64);
    m_network->showHistory(nullptr, m_windowSeconds);
    m_summary->setText(tr("No samples yet: numbers appear while the instance runs."));
}

void PerformancePage::showHistory(const InstanceHistory *history, double cpuLimitCores, qulonglong memoryLimitBytes,
                                  qulonglong pidsLimit)
{
    m_history = history;
    m_cpuLimitCores = cpuLimitCores;
    m_memoryLimitBytes = memoryLimitBytes;
    m_pidsLimit = pidsLimit;
    if (!history || history->size() == 0) {
        const int window = m_windowSeconds;
        std::optional<HistoryData> kept = m_long;
        clear();
        m_windowSeconds = window;
        m_long = kept;
        drawLong();
        return;
    }
    const double divisor = axisDivisor(m_windowSeconds);
    const double now = history->at(history->size() - 1).seconds;
    const double from = now - m_windowSeconds;
    // At most ~600 points per series: a 1 h window keeps every 6th point (the chart is no wider).
    std::size_t first = history->size();
    while (first > 0 && history->at(first - 1).seconds >= from)
        --first;
    const std::size_t count = history->size() - first;
    const std::size_t stride = std::max<std::size_t>(1, count / 600);
    QList<QPointF> cpu;
    QList<QPointF> memory;
    cpu.reserve(static_cast<qsizetype>(count / stride + 1));
    memory.reserve(static_cast<qsizetype>(count / stride + 1));
    double cpuTop = cpuLimitCores > 0 ? cpuLimitCores * 100.0 : 100.0;
    double memoryTop = static_cast<double>(memoryLimitBytes) / MiB;
    // Start so that the latest point is always drawn.
    for (std::size_t i = first + (count - 1) % stride; i < history->size(); i += stride) {
        const StatPoint &point = history->at(i);
        const double x = (point.seconds - now) / divisor;
        const double bytes = static_cast<double>(point.memoryBytes) / MiB;
        cpu.append(QPointF(x, point.cpuPercent));
        memory.append(QPointF(x, bytes));
        cpuTop = std::max(cpuTop, point.cpuPercent);
        memoryTop = std::max(memoryTop, bytes);
    }
    if (m_windowSeconds <= LongestLiveWindow) {
        m_cpu->replace(cpu);
        m_memory->replace(memory);
    }
    const double left = -m_windowSeconds / divisor;
    const QList<QPointF> noLine;
    const double cpuLimit = cpuLimitCores * 100.0;
    const double memoryLimit = static_cast<double>(memoryLimitBytes) / MiB;
    m_cpuLimit->replace(cpuLimitCores > 0 ? QList<QPointF> {{left, cpuLimit}, {0, cpuLimit}} : noLine);
    m_memoryLimit->replace(memoryLimitBytes > 0 ? QList<QPointF> {{left, memoryLimit}, {0, memoryLimit}} : noLine);
    m_network->showHistory(history, std::min(m_windowSeconds, LongestLiveWindow)); // live traffic only
    m_cpuY->setRange(0, Format::niceAxisTop(cpuTop * 1.05));
    m_memoryY->setRange(0, Format::niceAxisTop(std::max(memoryTop * 1.05, 1.0)));
    drawLong();

    const StatPoint &latest = history->at(history->size() - 1);
    QString text = tr("CPU %1 of one core").arg(Format::percent(latest.cpuPercent));
    if (cpuLimitCores > 0)
        text
            += tr(" (%1 of its %2 limit)").arg(Format::percent(latest.cpuPercentOfLimit), Format::cores(cpuLimitCores));
    text += tr(" · memory %1").arg(Format::memoryOf(latest.memoryBytes, memoryLimitBytes));
    if (latest.pids)
        text += pidsLimit > 0 ? tr(" · processes %1 of at most %2").arg(*latest.pids).arg(pidsLimit)
                              : tr(" · processes %1").arg(*latest.pids);
    if (latest.netRxBytesPerSecond && latest.netTxBytesPerSecond)
        text += tr(" · network ↓%1 ↑%2")
                    .arg(Format::byteRate(*latest.netRxBytesPerSecond), Format::byteRate(*latest.netTxBytesPerSecond));
    else
        text += tr(" · network unknown (measured only on the Hamlet NAT network)");
    m_summary->setText(text);
}

void PerformancePage::showLongHistory(const HistoryData &history)
{
    m_long = history;
    drawLong();
}

// The 24 h and 7 d windows: the helper's bucket means (CPU in % of a core, memory in MiB); a
// bucket where nothing was measured leaves a gap, never a 0.
void PerformancePage::drawLong()
{
    m_cpu->setPointsVisible(false);
    m_memory->setPointsVisible(false);
    if (m_windowSeconds <= LongestLiveWindow)
        return;
    QList<QPointF> cpu;
    QList<QPointF> memory;
    double cpuTop = m_cpuLimitCores > 0 ? m_cpuLimitCores * 100.0 : 100.0;
    double memoryTop = static_cast<double>(m_memoryLimitBytes) / MiB;
    if (m_long) {
        const double divisor = axisDivisor(m_windowSeconds);
        const double nowNs = double(QDateTime::currentMSecsSinceEpoch()) * 1e6;
        const HistorySeries *cpuSeries = m_long->find(QStringLiteral("cpu"));
        const HistorySeries *memorySeries = m_long->find(QStringLiteral("memory"));
        for (qsizetype i = 0; i < m_long->timesNs.size(); ++i) {
            const double x = (double(m_long->timesNs.at(i)) - nowNs) / 1e9 / divisor;
            if (cpuSeries && i < cpuSeries->mean.size() && !std::isnan(cpuSeries->mean.at(i))) {
                cpu.append(QPointF(x, cpuSeries->mean.at(i) * 100.0));
                cpuTop = std::max(cpuTop, cpu.last().y());
            }
            if (memorySeries && i < memorySeries->mean.size() && !std::isnan(memorySeries->mean.at(i))) {
                memory.append(QPointF(x, memorySeries->mean.at(i) / MiB));
                memoryTop = std::max(memoryTop, memory.last().y());
            }
        }
    }
    // Buckets are few (one in a fresh week): their points are drawn, not only the lines between.
    m_cpu->setPointsVisible(true);
    m_memory->setPointsVisible(true);
    m_cpu->replace(cpu);
    m_memory->replace(memory);
    m_cpuY->setRange(0, Format::niceAxisTop(cpuTop * 1.05));
    m_memoryY->setRange(0, Format::niceAxisTop(std::max(memoryTop * 1.05, 1.0)));
}

int PerformancePage::cpuPointCount() const
{
    return static_cast<int>(m_cpu->count());
}

int PerformancePage::memoryPointCount() const
{
    return static_cast<int>(m_memory->count());
}

double PerformancePage::cpuLimitLine() const
{
    return m_cpuLimit->count() > 0 ? m_cpuLimit->at(0).y() : -1;
}

double PerformancePage::memoryLimitLine() const
{
    return m_memoryLimit->count() > 0 ? m_memoryLimit->at(0).y() : -1;
}

} // namespace Hamlet
