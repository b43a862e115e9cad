#include "sidebar.h"

#include "kindicons.h"

#include <QHeaderView>
#include <QStyle>

namespace Hamlet {

Sidebar::Sidebar(QWidget *parent)
    : QTreeWidget(parent)
{
    setObjectName(QStringLiteral("sidebar"));
    setColumnCount(2);
    setHeaderHidden(true);
    setRootIsDecorated(false);
    setIndentation(0);
    setIconSize(QSize(20, 20));
    setFrameShape(QFrame::NoFrame);
    header()->setStretchLastSection(false);
    header()->setSectionResizeMode(0, QHeaderView::Stretch);
    header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    const QList<std::pair<QString, QIcon>> sections {
        {tr("All"), KindIcons::application()},
        {tr("Containers"), KindIcons::apartment()},
        {tr("VMs"), KindIcons::house()},
        {tr("Images"), style()->standardIcon(QStyle::SP_DriveHDIcon)},
    };
    for (const auto &[label, icon] : sections) {
        auto *item = new QTreeWidgetItem(this, {label, QStringLiteral("0")});
        item->setIcon(0, icon);
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setForeground(1, palette().color(QPalette::PlaceholderText));
    }
    setCurrentItem(topLevelItem(All));
    connect(this, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        if (item)
            Q_EMIT sectionChanged(static_cast<Section>(indexOfTopLevelItem(item)));
    });
    setMinimumWidth(150);
    setMaximumWidth(220);
}

void Sidebar::setCount(Section section, int count)
{
    topLevelItem(section)->setText(1, QString::number(count));
}

int Sidebar::count(Section section) const
{
    return topLevelItem(section)->text(1).toInt();
}

Sidebar::Section Sidebar::current() const
{
    return currentItem() ? static_cast<Section>(indexOfTopLevelItem(currentItem())) : All;
}

void Sidebar::select(Section section)
{
    setCurrentItem(topLevelItem(section));
}

} // namespace Hamlet
