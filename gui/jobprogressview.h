#pragma once

#include <QList>
#include <QVariantMap>
#include <QWidget>

class QGridLayout;
class QLabel;
class QProgressBar;

namespace Hamlet {

// The progress of a pull or an import as the helper reports it: one bar for the whole job
// (BytesDone / BytesTotal) and one per layer (short digest, bytes done / total, state). Fed with
// Job1 properties, all at once or only the changed ones; it shows only what the helper said.
class JobProgressView : public QWidget
{
    Q_OBJECT
public:
    explicit JobProgressView(QWidget *parent = nullptr);

    void reset();
    void apply(const QVariantMap &properties);
    // Written on the overall bar once the job ended without success ("failed", "cancelled").
    void setOutcome(const QString &outcome);

    QProgressBar *overallBar() const { return m_overall; }
    QString overallText() const;
    int layerCount() const { return static_cast<int>(m_layers.size()); }
    QProgressBar *layerBar(int index) const { return m_layers.at(index).bar; }
    QString layerText(int index) const;

private:
    struct LayerRow {
        QLabel *digest;
        QProgressBar *bar;
        QLabel *state;
    };
    void setLayerCount(int count);
    void showLayer(LayerRow &row, const QVariantMap &layer);

    QProgressBar *m_overall;
    QLabel *m_overallLabel;
    QLabel *m_layersTitle;
    QWidget *m_layersArea;
    QGridLayout *m_grid;
    QList<LayerRow> m_layers;
    qulonglong m_bytesDone = 0;
    qulonglong m_bytesTotal = 0;
};

} // namespace Hamlet
