#pragma once

#include <QChartView>

class QLabel;
class QLineSeries;
class QValueAxis;

namespace Hamlet {

class InstanceHistory;

// The Performance page's network chart: bytes per second received and sent (from the helper's
// netRxBytes/netTxBytes counters) over the page's window, on one axis in a unit that fits. Points
// whose traffic was not measured are left out; with none at all, a note over the plot says it
// is unknown and why, instead of drawing a flat zero.
class NetworkChart : public QChartView
{
    Q_OBJECT
public:
    explicit NetworkChart(QWidget *parent = nullptr);

    // windowSeconds: the span shown; more than 60 puts the time axis in minutes.
    void showHistory(const InstanceHistory *history, int windowSeconds);
    void clear();

    int rxPointCount() const;
    int txPointCount() const;
    // The largest received/sent rate drawn, in bytes/s (0 without points).
    double peakRx() const { return m_peakRx; }
    double peakTx() const { return m_peakTx; }
    bool measured() const { return m_measured; }
    QString unit() const;
    QLabel *unknownNote() const { return m_unknown; }

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    QLineSeries *m_rx;
    QLineSeries *m_tx;
    QValueAxis *m_x;
    QValueAxis *m_y;
    QLabel *m_unknown;
    double m_peakRx = 0;
    double m_peakTx = 0;
    bool m_measured = false;
};

} // namespace Hamlet
