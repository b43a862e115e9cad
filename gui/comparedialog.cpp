#include "comparedialog.h"

#include "comparechart.h"
#include "helperclient.h"
#include "instancelistmodel.h"

#include <QDialogButtonBox>
#include <QFile>
#include <QFileDialog>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <QCoro/QCoroTask>

namespace Hamlet {

CompareDialog::CompareDialog(HelperClient *client, InstanceListModel *model, const QString &a, const QString &b,
                             QWidget *parent)
    : QDialog(parent)
    , m_client(client)
    , m_model(model)
    , m_names {a, b}
    , m_problem(new QLabel(this))
    , m_table(new QTableWidget(0, 3, this))
    , m_cpu(new CompareChart(CompareChart::Measure::Cpu, a, b, this))
    , m_memory(new CompareChart(CompareChart::Measure::Memory, a, b, this))
{
    setObjectName(QStringLiteral("compareDialog"));
    setWindowTitle(tr("Compare %1 and %2").arg(a, b));
    auto *intro
        = new QLabel(tr("Measured on this machine by the helper. Hover a figure to see where it was read."), this);
    intro->setWordWrap(true);
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #a00;"));
    m_problem->hide();
    m_table->setHorizontalHeaderLabels({QString(), a, b});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setWordWrap(true);
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    auto *charts = new QWidget(this);
    auto *chartsLayout = new QHBoxLayout(charts);
    chartsLayout->setContentsMargins(0, 0, 0, 0);
    chartsLayout->addWidget(m_cpu);
    chartsLayout->addWidget(m_memory);
    m_table->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton *exportButton = buttons->addButton(tr("Export…"), QDialogButtonBox::ActionRole);
    exportButton->setObjectName(QStringLiteral("compareExport"));
    connect(exportButton, &QPushButton::clicked, this, &CompareDialog::exportTo);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_problem);
    layout->addWidget(m_table);
    layout->addWidget(charts, 1);
    layout->addWidget(buttons);
    resize(1000, 640);

    connect(m_model, &InstanceListModel::samplesAdded, this, [this](const QStringList &names) {
        if (names.contains(m_names[0]) || names.contains(m_names[1]))
            drawCharts();
    });
    m_timer.setInterval(2000);
    connect(&m_timer, &QTimer::timeout, this, &CompareDialog::refresh);
    m_timer.start();
    drawCharts();
    refresh();
}

void CompareDialog::refresh()
{
    if (m_reading)
        return;
    m_reading = true;
    auto reading = [](HelperClient *client, QString a,
                      QString b) -> QCoro::Task<std::pair<Result<CompareTable::Side>, Result<CompareTable::Side>>> {
        auto first = co_await CompareTable::readSide(*client, a);
        auto second = co_await CompareTable::readSide(*client, b);
        co_return std::make_pair(std::move(first), std::move(second));
    };
    QCoro::connect(reading(m_client, m_names[0], m_names[1]), this, [this](const auto &sides) {
        m_reading = false;
        for (const auto *side : {&sides.first, &sides.second}) {
            if (const auto *error = std::get_if<ClientError>(side)) {
                showProblem(error->text());
                return;
            }
        }
        showSides(std::get<CompareTable::Side>(sides.first), std::get<CompareTable::Side>(sides.second));
        Q_EMIT refreshed();
    });
}

void CompareDialog::showProblem(const QString &problem)
{
    m_problem->setText(tr("Cannot read both instances: %1").arg(problem));
    m_problem->show();
}

void CompareDialog::showSides(const CompareTable::Side &a, const CompareTable::Side &b)
{
    m_problem->hide();
    m_sides[0] = a;
    m_sides[1] = b;
    const QList<CompareTable::Row> rows = CompareTable::rows(a, b);
    m_table->setRowCount(static_cast<int>(rows.size()));
    for (int i = 0; i < rows.size(); ++i) {
        const CompareTable::Row &row = rows.at(i);
        auto *label = new QTableWidgetItem(row.label);
        QFont bold = label->font();
        bold.setBold(true);
        label->setFont(bold);
        m_table->setItem(i, 0, label);
        const QString values[2] = {row.a, row.b};
        const QString sources[2] = {row.aSource, row.bSource};
        for (int side = 0; side < 2; ++side) {
            auto *item = new QTableWidgetItem(values[side]);
            item->setToolTip(sources[side].isEmpty() ? values[side] : sources[side]);
            if (values[side].startsWith(QStringLiteral("unknown")))
                item->setForeground(QColor(0x80, 0x80, 0x80));
            m_table->setItem(i, side + 1, item);
        }
    }
    m_table->resizeRowsToContents();
    // As tall as its rows: the charts take the rest.
    int height = m_table->horizontalHeader()->height() + 2 * m_table->frameWidth();
    for (int row = 0; row < m_table->rowCount(); ++row)
        height += m_table->rowHeight(row);
    m_table->setFixedHeight(height);
}

void CompareDialog::drawCharts()
{
    m_cpu->showHistories(m_model->stats().history(m_names[0]), m_model->stats().history(m_names[1]));
    m_memory->showHistories(m_model->stats().history(m_names[0]), m_model->stats().history(m_names[1]));
}

QString CompareDialog::exported(bool markdown) const
{
    if (!m_sides[0] || !m_sides[1])
        return {};
    return markdown ? CompareTable::asMarkdown(*m_sides[0], *m_sides[1])
                    : CompareTable::asText(*m_sides[0], *m_sides[1]);
}

QString CompareDialog::cell(const QString &label, int side) const
{
    for (int row = 0; row < m_table->rowCount(); ++row)
        if (m_table->item(row, 0) && m_table->item(row, 0)->text() == label && m_table->item(row, side + 1))
            return m_table->item(row, side + 1)->text();
    return {};
}

void CompareDialog::exportTo()
{
    auto *dialog = new QFileDialog(this, tr("Export the comparison"));
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setNameFilters({tr("Markdown (*.md)"), tr("Text (*.txt)")});
    dialog->selectFile(QStringLiteral("%1-vs-%2.md").arg(m_names[0], m_names[1]));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, [this, dialog](const QString &path) {
        const bool markdown
            = dialog->selectedNameFilter().contains(QStringLiteral("*.md")) || path.endsWith(QStringLiteral(".md"));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(exported(markdown).toUtf8()) < 0)
            showProblem(tr("%1 cannot be written: %2").arg(path, file.errorString()));
    });
    dialog->open();
}

} // namespace Hamlet
