#include "networkchart.h"

#include "formatting.h"
#include "instancehistory.h"

#include <QChart>
#include <QLabel>
#include <QLineSeries>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace Hamlet {

NetworkChart::NetworkChart(QWidget *parent)
    : QChartView(new QChart, parent)
    , m_rx(new QLineSeries(this))
    , m_tx(new QLineSeries(this))
    , m_x(new QValueAxis(this))
    , m_y(new QValueAxis(this))
    , m_unknown(new QLabel(this))
{
    setObjectName(QStringLiteral("networkChart"));
    QChart *c = chart();
    c->legend()->hide(); // the title names the lines: a legend would leave the labels no room
    c->setMargins(QMargins(4, 4, 4, 4));
    c->setAnimationOptions(QChart::NoAnimation);
    m_rx->setName(tr("received ↓"));
    m_rx->setPen(QPen(QColor(0x27, 0xae, 0x60), 2));
    m_tx->setName(tr("sent ↑"));
    m_tx->setPen(QPen(QColor(0xe6, 0x7e, 0x22), 2));
    c->addSeries(m_rx);
    c->addSeries(m_tx);
    m_x->setTitleVisible(false); // as on the other charts: the labels carry the unit
    m_y->setLabelFormat(QStringLiteral("%g"));
    c->addAxis(m_x, Qt::AlignBottom);
    c->addAxis(m_y, Qt::AlignLeft);
    for (QLineSeries *s : {m_rx, m_tx}) {
        s->attachAxis(m_x);
        s->attachAxis(m_y);
    }
    // Set once: Qt Charts lays a title out in the room of the first one it had.
    c->setTitle(tr("Network: ↓ in (green), ↑ out (orange)"));
    // Unknown traffic is said over the empty plot, never drawn as a flat zero.
    m_unknown->setObjectName(QStringLiteral("networkUnknown"));
    m_unknown->setText(tr("Traffic unknown: the helper measures it only for instances on the Hamlet (NAT) network."));
    m_unknown->setWordWrap(true);
    m_unknown->setAlignment(Qt::AlignCenter);
    m_unknown->setAutoFillBackground(true); // readable over the grid and the axis labels
    m_unknown->setAttribute(Qt::WA_TransparentForMouseEvents);
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(140);
    clear();
}

void NetworkChart::clear()
{
    m_rx->clear();
    m_tx->clear();
    m_peakRx = m_peakTx = 0;
    m_measured = false;
    m_y->setRange(0, 1);
    m_y->setTitleText(tr("KiB/s"));
    m_unknown->show();
}

QString NetworkChart::unit() const
{
    return m_y->titleText();
}

int NetworkChart::rxPointCount() const
{
    return static_cast<int>(m_rx->count());
}

int NetworkChart::txPointCount() const
{
    return static_cast<int>(m_tx->count());
}

void NetworkChart::showHistory(const InstanceHistory *history, int windowSeconds)
{
    const bool minutes = windowSeconds > 60;
    const double divisor = minutes ? 60.0 : 1.0;
    m_x->setTitleText(minutes ? tr("minutes ago") : tr("seconds ago"));
    m_x->setLabelFormat(minutes ? QStringLiteral("%g min") : QStringLiteral("%g s"));
    m_x->setRange(-windowSeconds / divisor, 0);
    m_x->setTickCount(7);
    if (!history || history->size() == 0) {
        clear();
        return;
    }
    const double now = history->at(history->size() - 1).seconds;
    std::size_t first = history->size();
    while (first > 0 && history->at(first - 1).seconds >= now - windowSeconds)
        --first;
    const std::size_t count = history->size() - first;
    const std::size_t stride = std::max<std::size_t>(1, count / 600); // the chart is no wider
    QList<QPointF> rx;
    QList<QPointF> tx;
    double peak = 0;
    m_peakRx = m_peakTx = 0;
    for (std::size_t i = first + (count - 1) % stride; i < history->size(); i += stride) {
        const StatPoint &point = history->at(i);
        if (!point.netRxBytesPerSecond || !point.netTxBytesPerSecond)
            continue;
        const double x = (point.seconds - now) / divisor;
        rx.append(QPointF(x, *point.netRxBytesPerSecond));
        tx.append(QPointF(x, *point.netTxBytesPerSecond));
        m_peakRx = std::max(m_peakRx, *point.netRxBytesPerSecond);
        m_peakTx = std::max(m_peakTx, *point.netTxBytesPerSecond);
    }
    peak = std::max(m_peakRx, m_peakTx);
    m_measured = !rx.isEmpty();
    // One unit for both lines, chosen by the peak so the labels stay short.
    const bool mebi = peak >= 1024.0 * 1024.0;
    const double scale = mebi ? 1024.0 * 1024.0 : 1024.0;
    for (QList<QPointF> *points : {&rx, &tx})
        for (QPointF &p : *points)
            p.setY(p.y() / scale);
    m_rx->replace(rx);
    m_tx->replace(tx);
    m_y->setTitleText(mebi ? tr("MiB/s") : tr("KiB/s"));
    m_y->setRange(0, Format::niceAxisTop(std::max(peak / scale * 1.05, 1.0)));
    m_unknown->setVisible(!m_measured);
}

void NetworkChart::resizeEvent(QResizeEvent *event)
{
    QChartView::resizeEvent(event);
    // A band across the middle of the plot.
    const int height = m_unknown->heightForWidth(width() - 80);
    m_unknown->setGeometry(40, (this->height() - height) / 2, width() - 80, height + 8);
}

} // namespace Hamlet
