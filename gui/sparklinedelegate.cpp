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
constexpr int TextWidth = 76;
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
    if (index.column() == InstanceListModel::CpuColumn || index.column() == InstanceListModel::MemoryColumn)
        size.setWidth(std::max(size.width(), 200));
    return size;
}

void SparklineDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const int column = index.column();
    if (column != InstanceListModel::CpuColumn && column != InstanceListModel::MemoryColumn) {
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

    const bool cpu = column == InstanceListModel::CpuColumn;
    const QRect cell = option.rect.adjusted(Margin, Margin, -Margin, -Margin);
    const QRect textRect(cell.right() - TextWidth, cell.top(), TextWidth, cell.height());
    const QRect lineRect(cell.left(), cell.top() + 2, std::max(0, cell.width() - TextWidth - Margin),
                         cell.height() - 4);

    const std::size_t count = std::min<std::size_t>(history->size(), SparklinePoints);
    const std::size_t first = history->size() - count;
    double top = 0;
    if (cpu) {
        const double limit = index.data(InstanceListModel::CpuLimitRole).toDouble();
        top = limit > 0 ? limit * 100.0 : 100.0;
        for (std::size_t i = first; i < history->size(); ++i)
            top = std::max(top, history->at(i).cpuPercent);
    } else {
        top = static_cast<double>(index.data(InstanceListModel::MemoryLimitRole).toULongLong());
        for (std::size_t i = first; i < history->size(); ++i)
            top = std::max(top, static_cast<double>(history->at(i).memoryBytes));
    }
    top = std::max(top, 1.0);

    if (lineRect.width() > 8) {
        QPolygonF line;
        line.reserve(static_cast<qsizetype>(count) + 2);
        const double step = static_cast<double>(lineRect.width()) / (SparklinePoints - 1);
        const double startX = lineRect.right() - step * static_cast<double>(count - 1);
        for (std::size_t i = 0; i < count; ++i) {
            const StatPoint &point = history->at(first + i);
            const double value = cpu ? point.cpuPercent : static_cast<double>(point.memoryBytes);
            line << QPointF(startX + step * static_cast<double>(i),
                            lineRect.bottom() - std::clamp(value / top, 0.0, 1.0) * lineRect.height());
        }
        // On a selected row the highlight would swallow the colour: draw in the highlight's text colour.
        const QColor color = option.state & QStyle::State_Selected ? option.palette.color(QPalette::HighlightedText)
                                                                   : (cpu ? CpuColor : MemoryColor);
        painter->save();
        // The pale fill needs no antialiasing; only the line does (it is what the eye follows).
        painter->setRenderHint(QPainter::Antialiasing, false);
        painter->setPen(QPen(option.palette.color(QPalette::Mid), 1));
        painter->drawLine(lineRect.bottomLeft(), lineRect.bottomRight());
        QPolygonF area = line;
        area << QPointF(line.last().x(), lineRect.bottom()) << QPointF(line.first().x(), lineRect.bottom());
        QColor fill = color;
        fill.setAlpha(60);
        painter->setPen(Qt::NoPen);
        painter->setBrush(fill);
        painter->drawPolygon(area);
        painter->setRenderHint(QPainter::Antialiasing, true);
        painter->setPen(QPen(color, 1.5));
        painter->setBrush(Qt::NoBrush);
        painter->drawPolyline(line);
        painter->restore();
    }

    painter->save();
    painter->setPen(
        option.palette.color(option.state & QStyle::State_Selected ? QPalette::HighlightedText : QPalette::Text));
    painter->drawText(textRect, Qt::AlignRight | Qt::AlignVCenter, index.data(Qt::DisplayRole).toString());
    painter->restore();
}

} // namespace Hamlet
