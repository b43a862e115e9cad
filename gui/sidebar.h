#pragma once

#include <QTreeWidget>

namespace Hamlet {

// The left column: All, Containers, VMs and Images, each with how many there are.
class Sidebar : public QTreeWidget
{
    Q_OBJECT
public:
    enum Section { All, Containers, Vms, Images };

    explicit Sidebar(QWidget *parent = nullptr);

    void setCount(Section section, int count);
    int count(Section section) const;
    Section current() const;
    void select(Section section);

Q_SIGNALS:
    void sectionChanged(Hamlet::Sidebar::Section section);
};

} // namespace Hamlet
