#include "vmwizard.h"

#include "filepicker.h"
#include "formatting.h"
#include "formpage.h"
#include "kindicons.h"
#include "namefield.h"
#include "networkpage.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QDBusUnixFileDescriptor>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <fcntl.h>
#include <unistd.h>

namespace Hamlet {

namespace {
constexpr qulonglong MiB = 1024ULL * 1024ULL;
constexpr qulonglong GiB = 1024ULL * MiB;

QString sourceKey(VmWizard::Source source)
{
    switch (source) {
    case VmWizard::Tiny:
        return QStringLiteral("tiny");
    case VmWizard::Iso:
        return QStringLiteral("iso");
    case VmWizard::Disk:
        return QStringLiteral("disk");
    case VmWizard::Kernel:
        return QStringLiteral("kernel");
    }
    return {};
}

QWidget *labelled(const QString &label, QWidget *field, QWidget *parent)
{
    auto *row = new QWidget(parent);
    auto *form = new QFormLayout(row);
    form->setContentsMargins(24, 0, 0, 0);
    form->addRow(label, field);
    return row;
}
} // namespace

VmWizard::VmWizard(HelperClient *client, const Capabilities &capabilities, const QString &suggestedName,
                   QWidget *parent)
    : CreateWizard(client, parent)
    , m_capabilities(capabilities)
{
    setObjectName(QStringLiteral("vmWizard"));
    setWindowTitle(tr("New VM"));
    setPixmap(QWizard::LogoPixmap, KindIcons::house().pixmap(48, 48));
    buildSourcePage(capabilities);
    buildMachinePage(capabilities, suggestedName);
    m_network = new NetworkPage(NetworkPage::vmModes(), tr("VM port"), this);
    addPage(m_network);
    addFinishPage();
}

void VmWizard::buildSourcePage(const Capabilities &capabilities)
{
    const QString accelerator = capabilities.virtualization == QLatin1String("kvm")
        ? tr("It runs with KVM.")
        : tr("This host has no usable KVM, so it runs under TCG emulation: slower, but it works.");
    m_sourcePage
        = new FormPage(tr("Source"), tr("A house: a whole guest OS with its own kernel. ") + accelerator, this);
    m_sources = new QButtonGroup(this);
    auto *layout = new QVBoxLayout(m_sourcePage);
    const QList<std::pair<Source, QString>> choices {
        {Tiny, tr("&Tiny VM: this host's kernel and a busybox initramfs, boots with no download")},
        {Iso, tr("&Installer ISO, onto a new disk")},
        {Disk, tr("Existing &disk image (qcow2 or raw)")},
        {Kernel, tr("&Kernel boot: a kernel, an optional initrd and a command line")},
    };
    m_iso = new FilePicker(tr("Installer ISO"), tr("ISO images (*.iso);;All files (*)"), m_sourcePage);
    m_disk = new FilePicker(tr("Disk image"), tr("Disk images (*.qcow2 *.img *.raw);;All files (*)"), m_sourcePage);
    m_kernel = new FilePicker(tr("Kernel"), tr("All files (*)"), m_sourcePage);
    m_initrd = new FilePicker(tr("Initrd"), tr("All files (*)"), m_sourcePage);
    m_cmdline = new QLineEdit(QStringLiteral("console=ttyS0"), m_sourcePage);
    m_isoRow = labelled(tr("ISO:"), m_iso, m_sourcePage);
    m_diskRow = labelled(tr("Disk:"), m_disk, m_sourcePage);
    m_kernelRow = new QWidget(m_sourcePage);
    auto *kernelForm = new QFormLayout(m_kernelRow);
    kernelForm->setContentsMargins(24, 0, 0, 0);
    kernelForm->addRow(tr("Kernel:"), m_kernel);
    kernelForm->addRow(tr("Initrd:"), m_initrd);
    kernelForm->addRow(tr("Command line:"), m_cmdline);
    for (const auto &[source, text] : choices) {
        auto *radio = new QRadioButton(text, m_sourcePage);
        radio->setObjectName(QStringLiteral("source-") + sourceKey(source));
        m_sources->addButton(radio, source);
        layout->addWidget(radio);
        if (source == Tiny && capabilities.kernel.isEmpty()) {
            radio->setEnabled(false);
            layout->addWidget(new QLabel(
                tr("    unavailable: no kernel found in /boot (install a linux-image package)"), m_sourcePage));
        }
        if (source == Iso)
            layout->addWidget(m_isoRow);
        if (source == Disk)
            layout->addWidget(m_diskRow);
        if (source == Kernel)
            layout->addWidget(m_kernelRow);
    }
    layout->addStretch(1);
    setSource(capabilities.kernel.isEmpty() ? Iso : Tiny);
    connect(m_sources, &QButtonGroup::idToggled, this, [this](int, bool checked) {
        if (checked)
            updateSourceRows();
    });
    for (FilePicker *picker : {m_iso, m_disk, m_kernel})
        connect(picker, &FilePicker::changed, m_sourcePage, &FormPage::recheck);
    m_sourcePage->setRule([this] {
        switch (source()) {
        case Tiny:
            return !m_capabilities.kernel.isEmpty();
        case Iso:
            return m_iso->isReadableFile();
        case Disk:
            return m_disk->isReadableFile();
        case Kernel:
            return m_kernel->isReadableFile() && (m_initrd->path().isEmpty() || m_initrd->isReadableFile());
        }
        return false;
    });
    connect(m_initrd, &FilePicker::changed, m_sourcePage, &FormPage::recheck);
    addPage(m_sourcePage);
}

void VmWizard::buildMachinePage(const Capabilities &capabilities, const QString &suggestedName)
{
    m_machinePage = new FormPage(tr("Machine"),
                                 tr("Its name and size. This host has %1 and %2.")
                                     .arg(Format::cores(capabilities.hostCpus), Format::bytes(capabilities.hostMemory)),
                                 this);
    m_name = new NameField(suggestedName, m_machinePage);
    m_vcpus = new QSpinBox(m_machinePage);
    m_vcpus->setObjectName(QStringLiteral("vcpus"));
    m_vcpus->setRange(1, static_cast<int>(std::max(1u, capabilities.hostCpus)));
    m_vcpus->setSuffix(tr(" vCPU"));
    m_memoryMiB = new QSpinBox(m_machinePage);
    m_memoryMiB->setObjectName(QStringLiteral("vmMemory"));
    const int hostMiB = capabilities.hostMemory > 0 ? static_cast<int>(capabilities.hostMemory / MiB) : 4096;
    m_memoryMiB->setRange(32, std::max(64, hostMiB));
    m_memoryMiB->setSingleStep(64);
    m_memoryMiB->setSuffix(tr(" MiB"));
    m_diskGiB = new QSpinBox(m_machinePage);
    m_diskGiB->setObjectName(QStringLiteral("diskSize"));
    m_diskGiB->setRange(1, 4096);
    m_diskGiB->setValue(20);
    m_diskGiB->setSuffix(tr(" GiB"));
    m_autostart = new QCheckBox(tr("Start it whenever the helper starts"), m_machinePage);
    auto *form = new QFormLayout(m_machinePage);
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("v&CPUs:"), m_vcpus);
    form->addRow(tr("&Memory:"), m_memoryMiB);
    form->addRow(tr("&Disk size:"), m_diskGiB);
    form->addRow(QString(), m_autostart);
    m_machinePage->setRule([this] { return m_name->isValid(); });
    connect(m_name, &NameField::changed, m_machinePage, &FormPage::recheck);
    addPage(m_machinePage);
}

void VmWizard::initializePage(int id)
{
    if (page(id) == m_machinePage) {
        // Defaults for the chosen source, within the host: a tiny VM needs little.
        const bool tiny = source() == Tiny;
        const int hostMiB = static_cast<int>(m_capabilities.hostMemory / MiB);
        const int wanted = tiny ? 256 : 2048;
        m_memoryMiB->setValue(hostMiB > 0 ? std::min(wanted, std::max(64, hostMiB / 2)) : wanted);
        m_vcpus->setValue(tiny ? 1 : std::min(2, m_vcpus->maximum()));
        m_diskGiB->setEnabled(source() == Iso);
    }
    CreateWizard::initializePage(id);
}

void VmWizard::setSource(Source source)
{
    if (QAbstractButton *button = m_sources->button(source))
        button->setChecked(true);
    updateSourceRows();
}

VmWizard::Source VmWizard::source() const
{
    return static_cast<Source>(std::max(0, m_sources->checkedId()));
}

void VmWizard::updateSourceRows()
{
    m_isoRow->setVisible(source() == Iso);
    m_diskRow->setVisible(source() == Disk);
    m_kernelRow->setVisible(source() == Kernel);
    if (m_sourcePage)
        m_sourcePage->recheck();
}

QString VmWizard::instanceName() const
{
    return m_name->name();
}

std::optional<QVariantMap> VmWizard::spec(QString *problem) const
{
    QVariantMap spec {
        {QStringLiteral("source"), sourceKey(source())},
        {QStringLiteral("vcpus"), static_cast<uint>(m_vcpus->value())},
        {QStringLiteral("memory"),
         QVariant::fromValue<qulonglong>(static_cast<qulonglong>(m_memoryMiB->value()) * MiB)},
        {QStringLiteral("autostart"), m_autostart->isChecked()},
    };
    // The helper never opens a person's file as root: it gets a descriptor opened here, as them.
    const auto passFile = [&](const QString &key, const FilePicker *picker) {
        const int fd = ::open(picker->path().toLocal8Bit().constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            *problem = tr("Cannot open %1: %2").arg(picker->path(), QString::fromLocal8Bit(strerror(errno)));
            return false;
        }
        spec.insert(key, QVariant::fromValue(QDBusUnixFileDescriptor(fd)));
        ::close(fd); // QDBusUnixFileDescriptor keeps its own duplicate
        return true;
    };
    switch (source()) {
    case Tiny:
        break;
    case Iso:
        spec.insert(QStringLiteral("diskSize"), QVariant::fromValue<qulonglong>(m_diskGiB->value() * GiB));
        if (!passFile(QStringLiteral("iso"), m_iso))
            return std::nullopt;
        break;
    case Disk:
        if (!passFile(QStringLiteral("disk"), m_disk))
            return std::nullopt;
        break;
    case Kernel:
        spec.insert(QStringLiteral("kernel"), m_kernel->path());
        if (!m_initrd->path().isEmpty())
            spec.insert(QStringLiteral("initrd"), m_initrd->path());
        spec.insert(QStringLiteral("cmdline"), m_cmdline->text());
        break;
    }
    if (!m_network->problemText().isEmpty()) {
        *problem = m_network->problemText();
        return std::nullopt;
    }
    spec.insert(QStringLiteral("network"), m_network->mode());
    if (const QList<PublishedPort> ports = m_network->ports(); !ports.isEmpty())
        spec.insert(QStringLiteral("ports"), PublishedPorts::toSpec(ports));
    return spec;
}

QString VmWizard::summary() const
{
    QString from;
    switch (source()) {
    case Tiny:
        from = tr("the tiny VM (kernel %1 and a busybox initramfs)").arg(m_capabilities.kernel);
        break;
    case Iso:
        from = tr("the installer %1, onto a new %2 disk").arg(m_iso->path(), Format::bytes(m_diskGiB->value() * GiB));
        break;
    case Disk:
        from = tr("the disk %1").arg(m_disk->path());
        break;
    case Kernel:
        from = tr("the kernel %1").arg(m_kernel->path());
        break;
    }
    return tr("<p>The VM <b>%1</b> will boot %2.</p><p>%3 and %4 of memory, %5.</p><p>%6</p>")
        .arg(m_name->name().toHtmlEscaped(), from.toHtmlEscaped(), Format::cores(m_vcpus->value()),
             Format::bytes(static_cast<qulonglong>(m_memoryMiB->value()) * MiB),
             m_capabilities.virtualization == QLatin1String("kvm") ? tr("accelerated by KVM") : tr("emulated by TCG"),
             m_network->summary().toHtmlEscaped());
}

void VmWizard::refused(const ClientError &error)
{
    // Ports and the network are the network page's: say it there too, for the way back.
    const QString text = error.text();
    if (text.contains(QLatin1String("port"), Qt::CaseInsensitive)
        || text.contains(QLatin1String("network"), Qt::CaseInsensitive))
        m_network->showRefusal(text);
}

} // namespace Hamlet
