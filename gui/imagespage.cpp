#include "imagespage.h"

#include "kindicons.h"

#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace Hamlet {

ImagesPage::ImagesPage(QWidget *parent)
    : QWidget(parent)
    , m_list(new QTreeWidget(this))
    , m_note(new QLabel(this))
{
    m_list->setHeaderLabels({tr("Image"), tr("Source"), tr("Used for")});
    m_list->setRootIsDecorated(false);
    m_list->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_note->setWordWrap(true);
    m_note->setText(tr("Images pulled from a registry or imported from a tarball will be listed here once "
                       "the images work lands; until then containers use the built-in busybox image, "
                       "which needs no network."));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_note);
}

void ImagesPage::setCapabilities(const Capabilities &capabilities)
{
    m_list->clear();
    if (capabilities.busybox.isEmpty()) {
        auto *item = new QTreeWidgetItem(
            m_list, {tr("busybox (built-in)"), tr("unavailable: install the 'busybox-static' package"), QString()});
        item->setDisabled(true);
        return;
    }
    auto *item = new QTreeWidgetItem(
        m_list,
        {tr("busybox (built-in)"), tr("made from %1 on this host").arg(capabilities.busybox), tr("containers")});
    item->setIcon(0, KindIcons::apartment());
}

int ImagesPage::count() const
{
    int enabled = 0;
    for (int i = 0; i < m_list->topLevelItemCount(); ++i)
        enabled += m_list->topLevelItem(i)->isDisabled() ? 0 : 1;
    return enabled;
}

} // namespace Hamlet
