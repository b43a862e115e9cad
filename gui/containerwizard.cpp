#include "containerwizard.h"

#include "commandline.h"
#include "formatting.h"
#include "formpage.h"
#include "imagelistmodel.h"
#include "kindicons.h"
#include "namefield.h"
#include "networkpage.h"
#include "units.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSpinBox>

namespace Hamlet {

namespace {
constexpr qulonglong MiB = 1024ULL * 1024ULL;
constexpr qulonglong MinimumMemory = 4 * MiB; // the helper's floor
} // namespace

ContainerWizard::ContainerWizard(HelperClient *client, const Capabilities &capabilities, const QString &suggestedName,
                                 QWidget *parent)
    : CreateWizard(client, parent)
    , m_hostMemory(capabilities.hostMemory)
{
    setObjectName(QStringLiteral("containerWizard"));
    setWindowTitle(tr("New Container"));
    setPixmap(QWizard::LogoPixmap, KindIcons::apartment().pixmap(48, 48));
    buildSetupPage(capabilities, suggestedName);
    buildLimitsPage(capabilities);
    m_network = new NetworkPage(NetworkPage::containerModes(), tr("Container port"), this);
    addPage(m_network);
    addFinishPage();
}

void ContainerWizard::buildSetupPage(const Capabilities &capabilities, const QString &suggestedName)
{
    m_setup = new FormPage(tr("Container"),
                           tr("An apartment: it shares this host's kernel, walled off by namespaces and "
                              "cgroups. It starts in milliseconds."),
                           this);
    m_image = new QComboBox(m_setup);
    m_image->setObjectName(QStringLiteral("image"));
    m_image->addItem(KindIcons::apartment(), tr("busybox (built-in, no download)"), QStringLiteral("busybox"));
    if (capabilities.busybox.isEmpty()) {
        m_image->setEnabled(false);
        m_image->setToolTip(tr("The built-in image needs a static busybox: install the 'busybox-static' package."));
    }
    m_name = new NameField(suggestedName, m_setup);
    m_command = new QLineEdit(QStringLiteral("sh"), m_setup);
    m_command->setObjectName(QStringLiteral("command"));
    m_command->setPlaceholderText(tr("the image's default command"));
    m_command->setToolTip(tr("The program to run and its arguments, split like a shell does ('sleep 3600')."));
    m_tty = new QCheckBox(tr("Give it a terminal (for an interactive shell)"), m_setup);
    m_tty->setObjectName(QStringLiteral("tty"));
    m_tty->setChecked(true);
    auto *form = new QFormLayout(m_setup);
    if (capabilities.runtime.isEmpty()) {
        // Nothing can run a container: say so here rather than after Finish.
        auto *missing = new QLabel(tr("This host has no OCI runtime, so containers cannot run: install the 'runc' "
                                      "package (or 'crun' on cgroup v2), then restart the helper."),
                                   m_setup);
        missing->setObjectName(QStringLiteral("runtimeMissing"));
        missing->setWordWrap(true);
        missing->setStyleSheet(QStringLiteral("color: #b3261e;"));
        form->addRow(missing);
    }
    form->addRow(tr("&Image:"), m_image);
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Command:"), m_command);
    form->addRow(QString(), m_tty);
    const bool runnable = !capabilities.runtime.isEmpty();
    m_setup->setRule(
        [this, runnable] { return runnable && m_name->isValid() && m_image->isEnabled() && !image().isEmpty(); });
    connect(m_name, &NameField::changed, m_setup, &FormPage::recheck);
    connect(m_command, &QLineEdit::textEdited, this, [this] { m_commandEdited = true; });
    connect(m_image, &QComboBox::currentIndexChanged, this, &ContainerWizard::onImageChosen);
    addPage(m_setup);
}

void ContainerWizard::buildLimitsPage(const Capabilities &capabilities)
{
    m_limits = new FormPage(tr("Limits"),
                            tr("What it may use of this host (%1, %2). Limits can be changed while it runs.")
                                .arg(Format::cores(capabilities.hostCpus), Format::bytes(capabilities.hostMemory)),
                            this);
    m_cpus = new QDoubleSpinBox(m_limits);
    m_cpus->setObjectName(QStringLiteral("cpus"));
    m_cpus->setDecimals(2);
    m_cpus->setRange(0.01, std::max(1u, capabilities.hostCpus));
    m_cpus->setSingleStep(0.25);
    m_cpus->setValue(1.0);
    m_cpus->setSuffix(tr(" CPU"));
    m_memory = new QLineEdit(QStringLiteral("256 MiB"), m_limits);
    m_memory->setObjectName(QStringLiteral("memory"));
    m_memory->setToolTip(tr("A size with a unit: 64 MiB, 1.5 GiB, 512k (binary units)."));
    m_memoryProblem = new QLabel(m_limits);
    m_memoryProblem->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_memoryProblem->setWordWrap(true);
    m_pids = new QSpinBox(m_limits);
    m_pids->setObjectName(QStringLiteral("pids"));
    m_pids->setRange(0, 1 << 22);
    m_pids->setValue(1024);
    m_pids->setSpecialValueText(tr("no limit"));
    m_pids->setSuffix(tr(" processes"));
    m_autostart = new QCheckBox(tr("Start it whenever the helper starts"), m_limits);
    m_autostart->setObjectName(QStringLiteral("autostart"));
    m_restart = new QComboBox(m_limits);
    m_restart->setObjectName(QStringLiteral("restart"));
    m_restart->addItem(tr("Never"), QStringLiteral("no"));
    m_restart->addItem(tr("When it fails (at most 5 times in a row)"), QStringLiteral("on-failure:5"));
    m_restart->addItem(tr("When it fails"), QStringLiteral("on-failure"));
    m_restart->addItem(tr("Always, unless you stop it"), QStringLiteral("always"));
    m_restart->setToolTip(tr("Whether the helper starts the container again when its process ends by itself. "
                             "It waits a little longer after each quick exit; stopping it yourself is never "
                             "undone."));
    auto *form = new QFormLayout(m_limits);
    form->addRow(tr("C&PU:"), m_cpus);
    form->addRow(tr("&Memory:"), m_memory);
    form->addRow(QString(), m_memoryProblem);
    form->addRow(tr("P&rocesses:"), m_pids);
    form->addRow(tr("Res&tart:"), m_restart);
    form->addRow(QString(), m_autostart);
    m_limits->setRule([this] { return memoryProblem().isEmpty(); });
    connect(m_memory, &QLineEdit::textChanged, m_limits, [this] {
        m_memoryProblem->setText(memoryProblem());
        m_limits->recheck();
    });
    addPage(m_limits);
}

void ContainerWizard::offerImages(ImageListModel *images, const QString &preferred)
{
    m_images = images;
    connect(images, &QAbstractItemModel::modelReset, this, [this] { fillImages(image()); });
    if (images->hasLoaded())
        fillImages(preferred.isEmpty() ? image() : preferred);
    else if (!preferred.isEmpty())
        fillImages(preferred);
    if (!images->hasLoaded())
        images->refresh();
}

void ContainerWizard::fillImages(const QString &keep)
{
    const QSignalBlocker quiet(m_image);
    m_image->clear();
    for (const ImageRow &row : m_images->images())
        m_image->addItem(KindIcons::apartment(), ImageListModel::label(row), row.name);
    if (m_image->count() == 0 && !keep.isEmpty())
        m_image->addItem(KindIcons::apartment(), keep, keep); // until the list arrives
    m_image->setEnabled(m_image->count() > 0);
    if (m_image->count() == 0) {
        m_image->addItem(tr("No image: pull or import one on the Images page"), QString());
        m_image->setEnabled(false);
    }
    m_image->setToolTip(QString());
    // busybox (first) by default; the image that was chosen stays chosen.
    const int kept = m_image->findData(keep);
    m_image->setCurrentIndex(kept >= 0 ? kept : 0);
    onImageChosen();
    m_setup->recheck();
}

QString ContainerWizard::image() const
{
    return m_image->currentData().toString();
}

void ContainerWizard::onImageChosen()
{
    // busybox has no useful default command of its own; other images do, unless the person typed one.
    if (!m_commandEdited)
        m_command->setText(image() == QLatin1String("busybox") ? QStringLiteral("sh") : QString());
    m_setup->recheck();
}

QString ContainerWizard::memoryProblem() const
{
    const auto bytes = parseSize(m_memory->text());
    if (!bytes)
        return tr("'%1' is not a size: write a number and a unit, like 64 MiB.").arg(m_memory->text());
    if (*bytes < MinimumMemory)
        return tr("A container needs at least 4 MiB.");
    if (m_hostMemory > 0 && *bytes > m_hostMemory)
        return tr("This host has only %1 of memory.").arg(Format::bytes(m_hostMemory));
    return {};
}

QString ContainerWizard::instanceName() const
{
    return m_name->name();
}

std::optional<QVariantMap> ContainerWizard::spec(QString *problem) const
{
    const auto memory = parseSize(m_memory->text());
    if (!memory) {
        *problem = memoryProblem();
        return std::nullopt;
    }
    QVariantMap spec {
        {QStringLiteral("image"), image()},
        {QStringLiteral("tty"), m_tty->isChecked()},
        {QStringLiteral("cpus"), m_cpus->value()},
        {QStringLiteral("memory"), QVariant::fromValue<qulonglong>(*memory)},
        {QStringLiteral("autostart"), m_autostart->isChecked()},
    };
    const QStringList command = splitCommandLine(m_command->text());
    if (!command.isEmpty())
        spec.insert(QStringLiteral("command"), command);
    if (m_pids->value() > 0)
        spec.insert(QStringLiteral("pids"), QVariant::fromValue<qulonglong>(static_cast<qulonglong>(m_pids->value())));
    if (!m_network->problemText().isEmpty()) {
        *problem = m_network->problemText();
        return std::nullopt;
    }
    if (const QString restart = m_restart->currentData().toString(); restart != QLatin1String("no"))
        spec.insert(QStringLiteral("restart"), restart);
    spec.insert(QStringLiteral("network"), m_network->mode());
    if (const QList<PublishedPort> ports = m_network->ports(); !ports.isEmpty())
        spec.insert(QStringLiteral("ports"), PublishedPorts::toSpec(ports));
    return spec;
}

QString ContainerWizard::summary() const
{
    const QStringList command = splitCommandLine(m_command->text());
    const auto memory = parseSize(m_memory->text()).value_or(0);
    return tr("<p>The container <b>%1</b> will run <tt>%2</tt> from the %3 image%4.</p>"
              "<p>Limits: %5, %6 of memory, %7.</p><p>%8</p><p>%9</p>")
        .arg(m_name->name().toHtmlEscaped(),
             command.isEmpty() ? tr("the default command") : command.join(QLatin1Char(' ')).toHtmlEscaped(),
             m_image->currentText().toHtmlEscaped(), m_tty->isChecked() ? tr(", with a terminal") : QString(),
             Format::cores(m_cpus->value()), Format::bytes(memory),
             m_pids->value() > 0 ? tr("%1 processes").arg(m_pids->value()) : tr("no process limit"),
             (m_autostart->isChecked() ? tr("It starts with the helper.") : tr("It does not start by itself."))
                 + QLatin1Char(' ') + tr("Restart: %1.").arg(m_restart->currentText().toLower()),
             m_network->summary().toHtmlEscaped());
}

void ContainerWizard::refused(const ClientError &error)
{
    // Ports and the host network are the network page's: say it there too, for the way back.
    const QString text = error.text();
    if (text.contains(QLatin1String("port"), Qt::CaseInsensitive)
        || text.contains(QLatin1String("network"), Qt::CaseInsensitive))
        m_network->showRefusal(text);
}

} // namespace Hamlet
