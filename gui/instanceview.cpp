#include "instanceview.h"

#include "addressdelegate.h"
#include "instancefiltermodel.h"
#include "instancelistmodel.h"
#include "sparklinedelegate.h"

#include <QContextMenuEvent>
#include <QHeaderView>
#include <QMenu>
#include <QPainter>

namespace Hamlet {

InstanceView::InstanceView(InstanceListModel *model, InstanceFilterModel *filter, QWidget *parent)
    : QTableView(parent)
    , m_filter(filter)
{
    setObjectName(QStringLiteral("instanceList"));
    filter->setSourceModel(model);
    setModel(filter);
    setItemDelegate(new SparklineDelegate(&model->stats(), this));
    setItemDelegateForColumn(InstanceListModel::AddressColumn, new AddressDelegate(model, this));
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::ExtendedSelection);
    setShowGrid(false);
    setAlternatingRowColors(true);
    setWordWrap(false);
    setIconSize(QSize(24, 24));
    setSortingEnabled(true);
    sortByColumn(InstanceListModel::NameColumn, Qt::AscendingOrder);
    verticalHeader()->hide();
    verticalHeader()->setDefaultSectionSize(32);
    verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    horizontalHeader()->setHighlightSections(false);
    horizontalHeader()->setSectionResizeMode(InstanceListModel::NameColumn, QHeaderView::Stretch);
    horizontalHeader()->setSectionResizeMode(InstanceListModel::StateColumn, QHeaderView::ResizeToContents);
    horizontalHeader()->setSectionResizeMode(InstanceListModel::CpuColumn, QHeaderView::Fixed);
    horizontalHeader()->setSectionResizeMode(InstanceListModel::MemoryColumn, QHeaderView::Fixed);
    horizontalHeader()->setSectionResizeMode(InstanceListModel::AddressColumn, QHeaderView::Interactive);
    horizontalHeader()->setSectionResizeMode(InstanceListModel::NetworkColumn, QHeaderView::Fixed);
    // Narrow enough that the stretching Name column keeps ~120 px in the default 690 px pane.
    horizontalHeader()->resizeSection(InstanceListModel::AddressColumn, 145);
    horizontalHeader()->resizeSection(InstanceListModel::NetworkColumn, 110);
    horizontalHeader()->resizeSection(InstanceListModel::CpuColumn, 95);
    horizontalHeader()->resizeSection(InstanceListModel::MemoryColumn, 110);
    setMinimumWidth(320);
    connect(selectionModel(), &QItemSelectionModel::selectionChanged, this, &InstanceView::selectionChangedByUser);
    connect(selectionModel(), &QItemSelectionModel::currentRowChanged, this, &InstanceView::selectionChangedByUser);
}

QStringList InstanceView::selectedNames() const
{
    QStringList names;
    for (const QModelIndex &index : selectionModel()->selectedRows())
        names << index.data(InstanceListModel::NameRole).toString();
    return names;
}

QString InstanceView::currentName() const
{
    const QModelIndex current = currentIndex();
    if (current.isValid() && selectionModel()->isRowSelected(current.row(), current.parent()))
        return current.data(InstanceListModel::NameRole).toString();
    const QStringList names = selectedNames();
    return names.size() == 1 ? names.first() : QString();
}

bool InstanceView::selectName(const QString &name)
{
    for (int row = 0; row < m_filter->rowCount(); ++row) {
        const QModelIndex index = m_filter->index(row, 0);
        if (index.data(InstanceListModel::NameRole).toString() == name) {
            selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
            scrollTo(index);
            return true;
        }
    }
    return false;
}

void InstanceView::paintEvent(QPaintEvent *event)
{
    QTableView::paintEvent(event);
    if (model()->rowCount() > 0)
        return;
    QPainter painter(viewport());
    painter.setPen(palette().color(QPalette::PlaceholderText));
    const QString text = m_filter->sourceModel()->rowCount() > 0
        ? tr("Nothing matches the filter.")
        : tr("No containers or VMs yet.\nCreate one with + Container (%1) or + VM (%2).")
              .arg(QKeySequence(QKeySequence::New).toString(QKeySequence::NativeText),
                   QKeySequence(QStringLiteral("Ctrl+Shift+N")).toString(QKeySequence::NativeText));
    painter.drawText(viewport()->rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap, text);
}

void InstanceView::contextMenuEvent(QContextMenuEvent *event)
{
    if (!m_contextMenu)
        return;
    const QModelIndex index = indexAt(event->pos());
    if (index.isValid() && !selectionModel()->isRowSelected(index.row(), index.parent()))
        selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_contextMenu->popup(event->globalPos());
}

} // namespace Hamlet
