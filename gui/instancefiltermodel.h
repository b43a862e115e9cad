#pragma once

#include <QSortFilterProxyModel>

namespace Hamlet {

// What the list shows: every instance, or only containers or VMs (the sidebar), whose name
// contains the filter text (the toolbar's filter field).
class InstanceFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit InstanceFilterModel(QObject *parent = nullptr);

    // "" for every kind, else "container" or "vm".
    void setKind(const QString &kind);
    QString kind() const { return m_kind; }
    void setText(const QString &text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_kind;
    QString m_text;
};

} // namespace Hamlet
