#pragma once

#include "capabilities.h"

#include <QWidget>

class QLabel;
class QTreeWidget;

namespace Hamlet {

// The images containers are made from. Today that is the built-in busybox image, assembled by the
// helper from the host's static busybox; pulled and imported images join it with the images work.
class ImagesPage : public QWidget
{
    Q_OBJECT
public:
    explicit ImagesPage(QWidget *parent = nullptr);

    void setCapabilities(const Capabilities &capabilities);
    int count() const;

private:
    QTreeWidget *m_list;
    QLabel *m_note;
};

} // namespace Hamlet
