#include "jobprogressview.h"

#include "dbustypes.h"
#include "formatting.h"

#include <QDBusArgument>
#include <QFontDatabase>
#include <QGridLayout>
#include <QLabel>
#include <QProgressBar>
#include <QScrollArea>
#include <QVBoxLayout>

namespace Hamlet {

namespace {
// QProgressBar counts in int: bytes are shown in thousandths of the total.
constexpr int Scale = 1000;

void setFraction(QProgressBar *bar, qulonglong done, qulonglong total)
{
    if (total == 0) {
        bar->setRange(0, 0); // size not known yet: busy
        return;
    }
    bar->setRange(0, Scale);
    bar->setValue(static_cast<int>(std::min(done, total) * Scale / total));
}

QString bytesOf(qulonglong done, qulonglong total)
{
    if (total == 0)
        return Format::bytes(done);
    return QStringLiteral("%1 / %2").arg(Format::bytes(done), Format::bytes(total));
}

QString stateText(const QString &state)
{
    if (state == QLatin1String("waiting"))
        return JobProgressView::tr("waiting");
    if (state == QLatin1String("downloading"))
        return JobProgressView::tr("downloading");
    if (state == QLatin1String("exists"))
        return JobProgressView::tr("already stored");
    if (state == QLatin1String("unpacking"))
        return JobProgressView::tr("unpacking");
    if (state == QLatin1String("done"))
        return JobProgressView::tr("done");
    return state;
}
} // namespace

JobProgressView::JobProgressView(QWidget *parent)
    : QWidget(parent)
    , m_overall(new QProgressBar(this))
    , m_overallLabel(new QLabel(this))
    , m_layersTitle(new QLabel(tr("Layers"), this))
{
    m_overall->setObjectName(QStringLiteral("overallProgress"));
    m_overall->setFormat(QStringLiteral("%p%"));
    m_overallLabel->setObjectName(QStringLiteral("overallBytes"));
    auto *layerArea = new QWidget(this);
    m_layersArea = layerArea;
    auto *layerColumn = new QVBoxLayout(layerArea);
    layerColumn->setContentsMargins(0, 0, 0, 0);
    m_grid = new QGridLayout;
    m_grid->setColumnStretch(1, 1);
    layerColumn->addLayout(m_grid);
    layerColumn->addStretch(1); // rows from the top, not centred in the space
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(layerArea);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setMinimumHeight(90);

    auto *overallRow = new QHBoxLayout;
    auto *overallTitle = new QLabel(tr("Overall"), this);
    QFont bold = overallTitle->font();
    bold.setBold(true);
    overallTitle->setFont(bold);
    m_layersTitle->setFont(bold);
    overallRow->addWidget(overallTitle);
    overallRow->addWidget(m_overall, 1);
    overallRow->addWidget(m_overallLabel);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(overallRow);
    layout->addWidget(m_layersTitle);
    layout->addWidget(scroll, 1);
    reset();
}

void JobProgressView::setOutcome(const QString &outcome)
{
    // A bar full of bytes read says nothing about a job that failed: say what happened on it.
    m_overall->setFormat(outcome.isEmpty() ? QStringLiteral("%p%") : outcome);
    if (!outcome.isEmpty() && m_overall->maximum() == 0) {
        m_overall->setRange(0, Scale); // stop the busy animation
        m_overall->setValue(0); // a bar below its minimum shows no text at all
    }
}

void JobProgressView::reset()
{
    m_overall->setFormat(QStringLiteral("%p%"));
    setLayerCount(0);
    m_bytesDone = m_bytesTotal = 0;
    m_overall->setRange(0, 0);
    m_overallLabel->clear();
    m_layersTitle->hide();
}

void JobProgressView::apply(const QVariantMap &properties)
{
    if (properties.contains(QStringLiteral("BytesDone")))
        m_bytesDone = properties.value(QStringLiteral("BytesDone")).toULongLong();
    if (properties.contains(QStringLiteral("BytesTotal")))
        m_bytesTotal = properties.value(QStringLiteral("BytesTotal")).toULongLong();
    setFraction(m_overall, m_bytesDone, m_bytesTotal);
    m_overallLabel->setText(bytesOf(m_bytesDone, m_bytesTotal));
    if (!properties.contains(QStringLiteral("Layers")))
        return;
    // Over the bus an aa{sv} arrives as a QDBusArgument; from GetAll through qdbus_cast too.
    const auto layers = qdbus_cast<VariantMapList>(properties.value(QStringLiteral("Layers")));
    setLayerCount(static_cast<int>(layers.size()));
    for (int i = 0; i < layers.size(); ++i)
        showLayer(m_layers[i], layers.at(i));
}

void JobProgressView::setLayerCount(int count)
{
    while (m_layers.size() > count) {
        const LayerRow row = m_layers.takeLast();
        delete row.digest;
        delete row.bar;
        delete row.state;
    }
    QWidget *area = m_layersArea;
    while (m_layers.size() < count) {
        const int index = static_cast<int>(m_layers.size());
        LayerRow row {new QLabel(area), new QProgressBar(area), new QLabel(area)};
        row.digest->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        row.bar->setObjectName(QStringLiteral("layerProgress%1").arg(index));
        row.bar->setFormat(QStringLiteral("%p%"));
        row.state->setMinimumWidth(180);
        m_grid->addWidget(row.digest, index, 0);
        m_grid->addWidget(row.bar, index, 1);
        m_grid->addWidget(row.state, index, 2);
        m_layers << row;
    }
    m_layersTitle->setVisible(count > 0);
    m_layersTitle->setText(tr("Layers (%1)").arg(count));
}

void JobProgressView::showLayer(LayerRow &row, const QVariantMap &layer)
{
    const QString digest = layer.value(QStringLiteral("digest")).toString();
    const qulonglong done = layer.value(QStringLiteral("bytesDone")).toULongLong();
    const qulonglong total = layer.value(QStringLiteral("bytesTotal")).toULongLong();
    const QString state = layer.value(QStringLiteral("state")).toString();
    row.digest->setText(digest.section(QLatin1Char(':'), 1).left(12));
    row.digest->setToolTip(digest);
    if (state == QLatin1String("exists") || (state == QLatin1String("done") && total == 0))
        setFraction(row.bar, 1, 1);
    else
        setFraction(row.bar, done, total);
    row.state->setText(QStringLiteral("%1 · %2").arg(stateText(state), bytesOf(done, total)));
}

QString JobProgressView::overallText() const
{
    return m_overallLabel->text();
}

QString JobProgressView::layerText(int index) const
{
    const LayerRow &row = m_layers.at(index);
    return row.digest->text() + QLatin1Char(' ') + row.state->text();
}

} // namespace Hamlet
