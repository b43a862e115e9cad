#pragma once

#include "publishedports.h"

#include <QStyledItemDelegate>

namespace Hamlet {

class InstanceListModel;

// Paints the Address cell of the instance list: the addresses (or why there are none) and then
// each published port as a link; clicking a TCP port opens it in the desktop's browser
// (QDesktopServices), at 127.0.0.1 or the host address it is published on.
class AddressDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    AddressDelegate(const InstanceListModel *model, QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    bool editorEvent(QEvent *event, QAbstractItemModel *model, const QStyleOptionViewItem &option,
                     const QModelIndex &index) override;

    // Where each port of the row is drawn inside a cell at rect (for clicks, and for tests).
    QList<std::pair<QRect, PublishedPort>> portRects(const QStyleOptionViewItem &option,
                                                     const QModelIndex &index) const;

private:
    const InstanceListModel *m_model;
};

} // namespace Hamlet
