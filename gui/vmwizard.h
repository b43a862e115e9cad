#pragma once

#include "capabilities.h"
#include "createwizard.h"

class QButtonGroup;
class QCheckBox;
class QLineEdit;
class QSpinBox;

namespace Hamlet {

class FilePicker;
class FormPage;
class NameField;
class NetworkPage;

// New VM: the source (the built-in tiny VM, an installer ISO with a new disk, an existing disk
// image, or a kernel to boot directly, each with a file picker), then name, vCPUs, memory and
// disk size, with defaults taken from this host's capacity; then the network (NAT by default, none
// or QEMU's user networking) and, on NAT, published ports, as for a container.
class VmWizard : public CreateWizard
{
    Q_OBJECT
public:
    enum Source { Tiny, Iso, Disk, Kernel };

    VmWizard(HelperClient *client, const Capabilities &capabilities, const QString &suggestedName,
             QWidget *parent = nullptr);

    void setSource(Source source);
    Source source() const;
    NameField *nameField() const { return m_name; }
    QSpinBox *vcpusBox() const { return m_vcpus; }
    QSpinBox *memoryBox() const { return m_memoryMiB; }
    QSpinBox *diskBox() const { return m_diskGiB; }
    FilePicker *isoPicker() const { return m_iso; }
    FilePicker *diskPicker() const { return m_disk; }
    FilePicker *kernelPicker() const { return m_kernel; }
    FormPage *sourcePage() const { return m_sourcePage; }
    FormPage *machinePage() const { return m_machinePage; }
    NetworkPage *networkPage() const { return m_network; }

    std::optional<QVariantMap> spec(QString *problem) const override;

protected:
    QString instanceName() const override;
    QString summary() const override;
    bool createsVm() const override { return true; }
    void initializePage(int id) override;
    void refused(const ClientError &error) override;

private:
    void buildSourcePage(const Capabilities &capabilities);
    void buildMachinePage(const Capabilities &capabilities, const QString &suggestedName);
    void updateSourceRows();

    Capabilities m_capabilities;
    FormPage *m_sourcePage = nullptr;
    FormPage *m_machinePage = nullptr;
    NetworkPage *m_network = nullptr;
    QButtonGroup *m_sources = nullptr;
    FilePicker *m_iso = nullptr;
    FilePicker *m_disk = nullptr;
    FilePicker *m_kernel = nullptr;
    FilePicker *m_initrd = nullptr;
    QLineEdit *m_cmdline = nullptr;
    QWidget *m_isoRow = nullptr;
    QWidget *m_diskRow = nullptr;
    QWidget *m_kernelRow = nullptr;
    NameField *m_name = nullptr;
    QSpinBox *m_vcpus = nullptr;
    QSpinBox *m_memoryMiB = nullptr;
    QSpinBox *m_diskGiB = nullptr;
    QCheckBox *m_autostart = nullptr;
};

} // namespace Hamlet
