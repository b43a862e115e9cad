#pragma once

#include "instancelistmodel.h"

#include <QVariantMap>
#include <QWidget>

class QLabel;

namespace Hamlet {

// The Overview tab: what the instance is (kind, state, spec, limits) and what isolates it, from
// Inspect: for a container its namespaces, cgroup, rootfs, runtime, capabilities and seccomp; for
// a VM its accelerator, machine, kernel and disks. Text only, selectable, so it can be copied.
class OverviewPage : public QWidget
{
    Q_OBJECT
public:
    explicit OverviewPage(QWidget *parent = nullptr);

    void showInstance(const InstanceListModel::Instance &instance);
    void showInspect(const QVariantMap &parts);
    void showInspectProblem(const QString &problem);
    void clear();

    QString text() const;

private:
    QLabel *m_summary;
    QLabel *m_isolation;
};

} // namespace Hamlet
