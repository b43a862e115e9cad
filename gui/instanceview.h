#pragma once

#include <QTableView>

namespace Hamlet {

class InstanceFilterModel;
class InstanceListModel;

// The instance list: one row per instance (kind icon, name, state, CPU and memory sparklines),
// several rows can be selected for bulk actions, right click opens the actions' menu.
class InstanceView : public QTableView
{
    Q_OBJECT
public:
    InstanceView(InstanceListModel *model, InstanceFilterModel *filter, QWidget *parent = nullptr);

    QStringList selectedNames() const;
    // The one instance whose details to show: the current row when selected, else "".
    QString currentName() const;
    bool selectName(const QString &name);
    void setContextMenu(QMenu *menu) { m_contextMenu = menu; }

Q_SIGNALS:
    void selectionChangedByUser();

protected:
    void contextMenuEvent(QContextMenuEvent *event) override;
    // An empty list says how to fill it instead of showing nothing.
    void paintEvent(QPaintEvent *event) override;

private:
    InstanceFilterModel *m_filter;
    QMenu *m_contextMenu = nullptr;
};

} // namespace Hamlet
