#include "hostpanel.h"

#include <QFormLayout>
#include <QLabel>
#include <QLocale>

namespace Hamlet {

namespace {
QString orMissing(const QString &value, const QString &missing)
{
    return value.isEmpty() ? missing : value;
}
} // namespace

HostPanel::HostPanel(QWidget *parent)
    : QGroupBox(tr("This host"), parent)
{
    auto *layout = new QFormLayout(this);
    layout->setLabelAlignment(Qt::AlignRight);
    m_runtime = addRow(tr("Container runtime:"));
    m_cgroups = addRow(tr("Control groups:"));
    m_libvirt = addRow(tr("libvirt:"));
    m_virtualization = addRow(tr("Virtualization:"));
    m_busybox = addRow(tr("Built-in image:"));
    m_kernel = addRow(tr("Tiny VM kernel:"));
    m_resources = addRow(tr("Resources:"));
    m_helper = addRow(tr("Helper:"));
}

QLabel *HostPanel::addRow(const QString &label)
{
    auto *value = new QLabel(QStringLiteral("…"), this);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    value->setWordWrap(true);
    static_cast<QFormLayout *>(layout())->addRow(label, value);
    return value;
}

void HostPanel::show(const Capabilities &caps)
{
    m_runtime->setText(caps.runtime.isEmpty()
                           ? tr("none found: install the 'runc' package")
                           : tr("%1 (%2)").arg(orMissing(caps.runtimeVersion, caps.runtime), caps.runtime));
    const QString cgroupText = caps.cgroupVersion == QStringLiteral("hybrid")
        ? tr("hybrid (v1 controllers, empty v2 tree)")
        : caps.cgroupVersion;
    m_cgroups->setText(cgroupText);
    m_libvirt->setText(caps.libvirtUri.startsWith(QStringLiteral("qemu:///embed"))
                           ? tr("embedded driver, no daemon (%1)").arg(caps.libvirtUri)
                           : tr("system daemon (%1)").arg(caps.libvirtUri));
    m_virtualization->setText(
        caps.virtualization == QStringLiteral("kvm")
            ? tr("KVM (hardware acceleration)")
            : tr("TCG (software emulation, slower): %1").arg(orMissing(caps.kvmDiagnosis, tr("KVM unavailable"))));
    m_busybox->setText(caps.busybox.isEmpty() ? tr("unavailable: install 'busybox-static'")
                                              : tr("busybox from %1").arg(caps.busybox));
    m_kernel->setText(orMissing(caps.kernel, tr("none found in /boot: install a linux-image package")));
    m_resources->setText(tr("%n CPU(s), %1 of memory", nullptr, static_cast<int>(caps.hostCpus))
                             .arg(QLocale().formattedDataSize(static_cast<qint64>(caps.hostMemory))));
    m_helper->setText(tr("hamlet-helper %1").arg(caps.version));
}

QString HostPanel::text() const
{
    QStringList lines;
    for (const QLabel *label :
         {m_runtime, m_cgroups, m_libvirt, m_virtualization, m_busybox, m_kernel, m_resources, m_helper})
        lines << label->text();
    return lines.join(QLatin1Char('\n'));
}

} // namespace Hamlet
