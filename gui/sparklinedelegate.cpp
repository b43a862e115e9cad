#include "sparklinedelegate.h"

#include "instancehistory.h"
#include "instancelistmodel.h"

#include <QApplication>
#include <QPainter>
#include <QPolygonF>
#include <algorithm>

namespace Hamlet {

namespace {
const QColor CpuColor(0x2e, 0x86, 0xde);
const QColor MemoryColor(0x8e, 0x44, 0xad);
const QColor RxColor(0x27, 0xae, 0x60);
const QColor TxColor(0xe6, 0x7e, 0x22);
constexpr int CpuTextWidth = 48; // "100%"
constexpr int TextWidth = 76; // "38/64 MiB", "↓1.2 MiB/s"

constexpr int Margin = 4;
} // namespace

SparklineDelegate::SparklineDelegate(const StatsStore *stats, QObject *parent)
    : QStyledItemDelegate(parent)
    , m_stats(stats)
{ }

QSize SparklineDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    size.setHeight(std::max(size.height(), 28));
    if (index.column() == InstanceListModel::CpuColumn || index.column() == InstanceListModel::MemoryColumn
        || index.column() == InstanceListModel::NetworkColumn)
        size.setWidth(std::max(size.width(), 200));
    return size;
}

namespace {
// One sparkline: a line (with a pale area under it when fillArea), the newest value at the right edge.
void drawSparkline(QPainter *painter, const QRect &lineRect, const std::vector<double> &values, double top,
                   const QColor &color, bool fillArea)
{
    if (values.empty() || lineRect.width() <= 8)
        return;
    QPolygonF line;
    line.reserve(static_cast<qsizetype>(values.size()) + 2);
    const double step = static_cast<double>(lineRect.width()) / (SparklineDelegate::SparklinePoints - 1);
    const double startX = lineRect.right() - step * static_cast<double>(values.size() - 1);
    for (std::size_t i = 0; i < values.size(); ++i)
        line << QPointF(startX + step * static_cast<double>(i),
                        lineRect.bottom() - std::clamp(values[i] / top, 0.0, 1.0) * lineRect.height());
    painter->save();
    // The pale fill needs no antialiasing; only the line does (it is what the eye follows).
    painter->setRenderHint(QPainter::Antialiasing, false);
    if (fillArea) {
        QPolygonF area = line;
        area << QPointF(line.last().x(), lineRect.bottom()) << QPointF(line.first().x(), lineRect.bottom());
        QColor fill = color;
        fill.setAlpha(60);
        painter->setPen(Qt::NoPen);
        painter->setBrush(fill);
        painter->drawPolygon(area);
    }
    painter->setRenderHint(QPainter::Antialiasing, true);
    painter->setPen(QPen(color, 1.5));
    painter->setBrush(Qt::NoBrush);
    painter->drawPolyline(line);
    painter->restore();
}
} // namespace

void SparklineDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const int column = index.column();
    if (column != InstanceListModel::CpuColumn && column != InstanceListModel::MemoryColumn
        && column != InstanceListModel::NetworkColumn) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    // The cell's background and selection, without text.
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

    if (!index.data(InstanceListModel::HasStatsRole).toBool())
        return;
    const InstanceHistory *history = m_stats->history(index.data(InstanceListModel::NameRole).toString());
    if (!history || history->size() == 0)
        return;

    const bool selected = option.state & QStyle::State_Selected;
    const bool network = column == InstanceListModel::NetworkColumn;
    const int textWidth = column == InstanceListModel::CpuColumn ? CpuTextWidth : TextWidth;
    const QRect cell = option.rect.adjusted(Margin, Margin, -Margin, -Margin);
    const QRect textRect(cell.right() - textWidth, cell.top(), textWidth, cell.height());
    const QRect lineRect(cell.left(), cell.top() + 2, std::max(0, cell.width() - textWidth - Margin),
                         cell.height() - 4);

    const std::size_t count = std::min<std::size_t>(history->size(), SparklinePoints);
    const std::size_t first = history->size() - count;
    // On a selected row the highlight would swallow the colour: draw in the highlight's text colour.
    const QColor onSelection = option.palette.color(QPalette::HighlightedText);
    painter->save();
    painter->setPen(QPen(option.palette.color(QPalette::Mid), 1));
    painter->drawLine(lineRect.bottomLeft(), lineRect.bottomRight());
    painter->restore();
    if (network) {
        // Received and sent on one scale, so the larger reads as larger; no line while unknown.
        std::vector<double> rx;
        std::vector<double> tx;
        double top = 1024.0; // 1 KiB/s at least, so idle chatter stays flat
        for (std::size_t i = first; i < history->size(); ++i) {
            const StatPoint &point = history->at(i);
            if (!point.netRxBytesPerSecond || !point.netTxBytesPerSecond) {
                rx.clear(); // a gap (unknown): the line restarts after it
                tx.clear();
                continue;
            }
            rx.push_back(*point.netRxBytesPerSecond);
            tx.push_back(*point.netTxBytesPerSecond);
            top = std::max({top, rx.back(), tx.back()});
        }
        drawSparkline(painter, lineRect, rx, top, selected ? onSelection : RxColor, true);
        drawSparkline(painter, lineRect, tx, top, selected ? onSelection : TxColor, false);
    } else {
        const bool cpu = column == InstanceListModel::CpuColumn;
        double top = 0;
        std::vector<double> values;
        values.reserve(count);
        if (cpu) {
            const double limit = index.data(InstanceListModel::CpuLimitRole).toDouble();
            top = limit > 0 ? limit * 100.0 : 100.0;
        } else {
            top = static_cast<double>(index.data(InstanceListModel::MemoryLimitRole).toULongLong());
        }
        for (std::size_t i = first; i < history->size(); ++i) {
            const StatPoint &point = history->at(i);
            values.push_back(cpu ? point.cpuPercent : static_cast<double>(point.memoryBytes));
            top = std::max(top, values.back());
        }
        drawSparkline(painter, lineRect, values, std::max(top, 1.0),
                      selected ? onSelection : (cpu ? CpuColor : MemoryColor), true);
    }

    painter->save();
    painter->setPen(option.palette.color(selected ? QPalette::HighlightedText : QPalette::Text));
    if (network) {
        QFont small = painter->font();
        small.setPointSizeF(small.pointSizeF() * 0.85);
        painter->setFont(small);
    }
    painter->drawText(textRect, Qt::AlignRight | Qt::AlignVCenter, index.data(Qt::DisplayRole).toString());
    painter->restore();
}

} // namespace Hamlet
