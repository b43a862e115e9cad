#include "addressdelegate.h"

#include <algorithm>

#include "instancelistmodel.h"

#include <QApplication>
#include <QDesktopServices>
#include <QMouseEvent>
#include <QPainter>

namespace Hamlet {

namespace {
constexpr int Margin = 4;
constexpr int Gap = 10;

// The list is narrow: "8080→80" rather than the Overview's "8080 → 80".
QString compact(const PublishedPort &port)
{
    return port.label().remove(QLatin1Char(' '));
}

const InstanceListModel::Instance *instanceAt(const InstanceListModel *model, const QModelIndex &index)
{
    return model->instance(index.data(InstanceListModel::NameRole).toString());
}
} // namespace

AddressDelegate::AddressDelegate(const InstanceListModel *model, QObject *parent)
    : QStyledItemDelegate(parent)
    , m_model(model)
{ }

QList<std::pair<QRect, PublishedPort>> AddressDelegate::portRects(const QStyleOptionViewItem &option,
                                                                  const QModelIndex &index) const
{
    QList<std::pair<QRect, PublishedPort>> rects;
    const InstanceListModel::Instance *instance = instanceAt(m_model, index);
    if (!instance)
        return rects;
    const QFontMetrics metrics(option.font);
    const QString address = InstanceListModel::addressOnly(*instance);
    int x = option.rect.left() + Margin + (address.isEmpty() ? 0 : metrics.horizontalAdvance(address) + Gap);
    for (const PublishedPort &port : instance->ports) {
        const int width = metrics.horizontalAdvance(compact(port));
        rects.append({QRect(x, option.rect.top(), width, option.rect.height()), port});
        x += width + Gap;
    }
    return rects;
}

QSize AddressDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    size.setHeight(std::max(size.height(), 28));
    return size;
}

void AddressDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

    const InstanceListModel::Instance *instance = instanceAt(m_model, index);
    if (!instance)
        return;
    const bool selected = option.state & QStyle::State_Selected;
    const QColor text = option.palette.color(selected ? QPalette::HighlightedText : QPalette::Text);
    painter->save();
    painter->setClipRect(option.rect);
    painter->setPen(text);
    const QString address = InstanceListModel::addressOnly(*instance);
    const QRect inner = option.rect.adjusted(Margin, 0, -Margin, 0);
    painter->drawText(inner, Qt::AlignLeft | Qt::AlignVCenter, address);
    QFont link = option.font;
    for (const auto &[rect, port] : portRects(option, index)) {
        const bool opens = !port.url().isEmpty();
        link.setUnderline(opens);
        painter->setFont(link);
        painter->setPen(selected || !opens ? text : option.palette.color(QPalette::Link));
        // A port past the column's edge is elided with "…" (the Overview lists them all), not cut.
        const int room = std::min(rect.right(), inner.right()) - rect.left();
        if (room <= 0)
            break;
        painter->drawText(rect, Qt::AlignLeft | Qt::AlignVCenter,
                          QFontMetrics(link).elidedText(compact(port), Qt::ElideRight, room));
    }
    painter->restore();
}

bool AddressDelegate::editorEvent(QEvent *event, QAbstractItemModel *model, const QStyleOptionViewItem &option,
                                  const QModelIndex &index)
{
    if (event->type() == QEvent::MouseButtonRelease) {
        const auto *mouse = static_cast<QMouseEvent *>(event);
        if (mouse->button() == Qt::LeftButton)
            for (const auto &[rect, port] : portRects(option, index))
                if (rect.contains(mouse->position().toPoint()) && !port.url().isEmpty()) {
                    QDesktopServices::openUrl(port.url());
                    return true;
                }
    }
    return QStyledItemDelegate::editorEvent(event, model, option, index);
}

} // namespace Hamlet
