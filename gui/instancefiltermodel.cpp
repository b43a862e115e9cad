#include "instancefiltermodel.h"

#include "instancelistmodel.h"

namespace Hamlet {

InstanceFilterModel::InstanceFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(InstanceListModel::NameRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
}

void InstanceFilterModel::setKind(const QString &kind)
{
    m_kind = kind;
    invalidateRowsFilter();
}

void InstanceFilterModel::setText(const QString &text)
{
    m_text = text.trimmed();
    invalidateRowsFilter();
}

bool InstanceFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!m_kind.isEmpty() && index.data(InstanceListModel::KindRole).toString() != m_kind)
        return false;
    return m_text.isEmpty() || index.data(InstanceListModel::NameRole).toString().contains(m_text, Qt::CaseInsensitive);
}

} // namespace Hamlet
