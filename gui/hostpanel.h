#pragma once

#include "capabilities.h"

#include <QGroupBox>

class QLabel;

namespace Hamlet {

// "This host" facts from GetCapabilities, in words: what runs containers, which cgroups, how VMs
// run (and why not KVM), and what the built-in image and tiny VM are made from.
class HostPanel : public QGroupBox
{
    Q_OBJECT
public:
    explicit HostPanel(QWidget *parent = nullptr);

    void show(const Capabilities &capabilities);
    // Everything the panel shows, as plain text (for tests and copy/paste).
    QString text() const;

private:
    QLabel *addRow(const QString &label);

    QLabel *m_runtime;
    QLabel *m_cgroups;
    QLabel *m_libvirt;
    QLabel *m_virtualization;
    QLabel *m_busybox;
    QLabel *m_kernel;
    QLabel *m_resources;
    QLabel *m_helper;
};

} // namespace Hamlet
