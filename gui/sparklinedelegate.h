#pragma once

#include <QStyledItemDelegate>

namespace Hamlet {

class StatsStore;

// Paints the CPU, memory and network cells of the instance list: a sparkline of the last minute
// beside the current value ("43%", "38/64 MiB", received and sent per second; the network line
// is left out where the traffic is unknown). Cheap on purpose: a minute of points at most, one
// polyline and one filled polygon per cell, no allocation beyond the polygon.
class SparklineDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit SparklineDelegate(const StatsStore *stats, QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    static constexpr int SparklinePoints = 60;

private:
    const StatsStore *m_stats;
};

} // namespace Hamlet
