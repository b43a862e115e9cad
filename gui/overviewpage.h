#pragma once

#include "instancelistmodel.h"

#include <QVariantMap>
#include <QWidget>

class QLabel;

namespace Hamlet {

// The Overview tab: what the instance is (kind, state, spec, limits) and what isolates it, from
// Inspect: for a container its namespaces, cgroup, rootfs, runtime, capabilities and seccomp; for
// a VM its accelerator, machine, kernel and disks. Text only, selectable, so it can be copied;
// the Network section's published ports are links that open in the desktop's browser.
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
    QLabel *networkLabel() const { return m_network; }

private:
    QLabel *m_summary;
    QLabel *m_network;
    QLabel *m_isolation;
};

} // namespace Hamlet
