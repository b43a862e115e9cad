#include "mainwindow.h"

#include "comparedialog.h"
#include "containerwizard.h"
#include "desktopnotifier.h"
#include "detailspane.h"
#include "errors.h"
#include "hamlet_version.h"
#include "hostpanel.h"
#include "imagelistmodel.h"
#include "imagespage.h"
#include "instanceactions.h"
#include "instancefeed.h"
#include "instancefiltermodel.h"
#include "instancelistmodel.h"
#include "instanceview.h"
#include "kindicons.h"
#include "logging.h"
#include "messagebanner.h"
#include "sidebar.h"
#include "vmwizard.h"

#include <QApplication>
#include <QCloseEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>

namespace Hamlet {

namespace {
const QString GeometryKey = QStringLiteral("window/geometry");
const QString SplitterKey = QStringLiteral("window/splitter");
constexpr int StatusMessageMs = 6000;
} // namespace

MainWindow::MainWindow(HelperClient *client, QWidget *parent)
    : QMainWindow(parent)
    , m_client(client)
    , m_model(new InstanceListModel(this))
    , m_filter(new InstanceFilterModel(this))
    , m_feed(new InstanceFeed(client, m_model, this))
    , m_notifier(new DesktopNotifier(this))
    , m_imageModel(new ImageListModel(client, this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Hamlet"));
    setWindowIcon(QIcon::fromTheme(QStringLiteral("dev.hamlet.Hamlet"), KindIcons::application()));
    resize(1200, 720);

    m_actions = new InstanceActions(client, m_model, m_feed, this);
    createLayout();
    createMenus();

    connect(m_model, &InstanceListModel::countsChanged, this, &MainWindow::updateCounts);
    connect(m_model, &InstanceListModel::rowsInserted, this, [this] {
        if (!m_landOn.isEmpty() && showInstance(m_landOn))
            m_landOn.clear();
    });
    connect(m_feed, &InstanceFeed::failed, this, &MainWindow::showError);
    connect(m_feed, &InstanceFeed::helperReturned, this, &MainWindow::refresh);
    connect(m_feed, &InstanceFeed::helperLost, this, [this] {
        showError(ClientError::fromName(QStringLiteral("org.freedesktop.DBus.Error.ServiceUnknown"),
                                        tr("The Hamlet helper stopped (it left the bus).")));
    });
    connect(m_feed, &InstanceFeed::stoppedUnexpectedly, this,
            [this](const QString &name, const QString &state, const QString &detail) {
                const QString title
                    = state == QLatin1String("failed") ? tr("%1 failed").arg(name) : tr("%1 stopped").arg(name);
                m_notifier->notify(title, detail);
                statusBar()->showMessage(detail, StatusMessageMs);
            });
    connect(m_actions, &InstanceActions::newContainerRequested, this, [this] { newContainer(); });
    connect(m_imageModel, &QAbstractItemModel::modelReset, this, &MainWindow::updateCounts);
    connect(m_actions, &InstanceActions::newVmRequested, this, &MainWindow::newVm);
    connect(m_actions, &InstanceActions::started, this,
            [this](const QString &message) { statusBar()->showMessage(message, StatusMessageMs); });
    connect(m_actions, &InstanceActions::finished, this,
            [this](const QString &message) { statusBar()->showMessage(message, StatusMessageMs); });
    connect(m_actions, &InstanceActions::failed, this, [this](const QString &what, const ClientError &error) {
        m_banner->showError(what, error.text(), false);
        statusBar()->showMessage(what, StatusMessageMs);
    });

    QSettings settings;
    restoreGeometry(settings.value(GeometryKey).toByteArray());
    if (!m_splitter->restoreState(settings.value(SplitterKey).toByteArray()))
        m_splitter->setSizes({150, 690, 440}); // the list's six columns fit at 1280 wide
    setConnected(false);
}

MainWindow::~MainWindow() = default;

void MainWindow::createLayout()
{
    auto *toolBar = addToolBar(tr("Actions"));
    toolBar->setObjectName(QStringLiteral("actionsToolBar"));
    toolBar->setMovable(false);
    toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_actions->addTo(toolBar);
    auto *spacer = new QWidget(toolBar);
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    toolBar->addWidget(spacer);
    m_filterEdit = new QLineEdit(toolBar);
    m_filterEdit->setObjectName(QStringLiteral("filter"));
    m_filterEdit->setPlaceholderText(tr("Filter by name…"));
    m_filterEdit->setClearButtonEnabled(true);
    m_filterEdit->setMaximumWidth(220);
    connect(m_filterEdit, &QLineEdit::textChanged, m_filter, &InstanceFilterModel::setText);
    toolBar->addWidget(m_filterEdit);
    auto *host = new QLabel(tr("  host: local  "), toolBar);
    host->setToolTip(tr("Hamlet manages this machine, through the helper on the %1.").arg(m_client->busDescription()));
    toolBar->addWidget(host);

    m_banner = new MessageBanner(this);
    connect(m_banner, &MessageBanner::retryRequested, this, &MainWindow::refresh);
    m_sidebar = new Sidebar(this);
    connect(m_sidebar, &Sidebar::sectionChanged, this, &MainWindow::onSection);

    m_view = new InstanceView(m_model, m_filter, this);
    auto *contextMenu = new QMenu(this);
    m_actions->addTo(contextMenu);
    m_compareAction = new QAction(tr("&Compare"), this);
    m_compareAction->setObjectName(QStringLiteral("compareAction"));
    m_compareAction->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+C")));
    m_compareAction->setToolTip(tr("Put the two selected instances side by side, measured (select a container and "
                                   "a VM)"));
    m_compareAction->setEnabled(false);
    connect(m_compareAction, &QAction::triggered, this, [this] {
        const QStringList selected = m_view->selectedNames();
        if (selected.size() == 2)
            compare(selected.at(0), selected.at(1));
    });
    contextMenu->addSeparator();
    contextMenu->addAction(m_compareAction);
    m_view->setContextMenu(contextMenu);
    connect(m_view, &InstanceView::selectionChangedByUser, this, &MainWindow::updateDetails);
    connect(m_view, &QAbstractItemView::doubleClicked, this, [this] { m_details->showTab(DetailsPane::OverviewTab); });
    m_images = new ImagesPage(m_client, m_imageModel, this);
    connect(m_images, &ImagesPage::createContainerRequested, this, &MainWindow::newContainer);
    connect(m_images, &ImagesPage::vmCreated, this, [this](const QString &name) {
        if (!showInstance(name))
            m_landOn = name;
    });
    connect(m_images, &ImagesPage::bothWaysCreated, this, [this](const QString &container, const QString &vm) {
        if (!showInstance(vm))
            m_landOn = vm;
        compare(container, vm);
    });
    connect(m_images, &ImagesPage::statusMessage, this,
            [this](const QString &message) { statusBar()->showMessage(message, StatusMessageMs); });
    m_center = new QStackedWidget(this);
    m_center->addWidget(m_view);
    m_center->addWidget(m_images);

    m_hostPanel = new HostPanel(this);
    m_hostPanel->setEnabled(false);
    auto *hostPage = new QWidget(this);
    auto *hostLayout = new QVBoxLayout(hostPage);
    auto *welcome = new QLabel(
        tr("<h2>Hamlet</h2>"
           "<p><b>A container is an apartment</b>: its program runs on this host's own kernel, walled off by "
           "pivot_root (its own root filesystem), namespaces (its own processes, network, hostname) and cgroups "
           "(its share of CPU and memory). It starts in milliseconds and costs little more than its program.</p>"
           "<p><b>A VM is a house</b>: QEMU gives it virtual hardware and it boots a kernel of its own, so its "
           "program never talks to this host's kernel. The wall is stronger (KVM, or TCG emulation here without "
           "it); the price is seconds of boot and the memory of a whole guest.</p>"
           "<p>Run one image both ways (Images, <b>Run both ways</b>) and "
           "<a href=\"compare:\">compare them side by side</a>, measured on this machine. Select an instance to see "
           "it in depth, or create one with <b>+ Container</b> or <b>+ VM</b>.</p>"),
        hostPage);
    welcome->setObjectName(QStringLiteral("hostWelcome"));
    welcome->setWordWrap(true);
    welcome->setTextInteractionFlags(Qt::TextBrowserInteraction);
    connect(welcome, &QLabel::linkActivated, this, [this] { compareFromHostPage(); });
    hostLayout->addWidget(welcome);
    hostLayout->addWidget(m_hostPanel);
    hostLayout->addStretch(1);
    m_details = new DetailsPane(m_client, m_model, this);
    m_right = new QStackedWidget(this);
    m_right->addWidget(hostPage);
    m_right->addWidget(m_details);

    m_splitter = new QSplitter(this);
    m_splitter->setObjectName(QStringLiteral("mainSplitter"));
    m_splitter->addWidget(m_sidebar);
    m_splitter->addWidget(m_center);
    m_splitter->addWidget(m_right);
    m_splitter->setStretchFactor(1, 3);
    m_splitter->setStretchFactor(2, 2);
    m_splitter->setChildrenCollapsible(false);
    // Explicit minimums: the splitter would otherwise honour the widest label or chart hint.
    m_sidebar->setMinimumWidth(140);
    m_center->setMinimumWidth(360);
    m_right->setMinimumWidth(380);

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_banner);
    layout->addWidget(m_splitter, 1);
    setCentralWidget(central);

    m_statusLabel = new QLabel(tr("Connecting to the helper on the %1…").arg(m_client->busDescription()), this);
    m_statusLabel->setObjectName(QStringLiteral("hostStatus"));
    statusBar()->addPermanentWidget(m_statusLabel);
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_actions->newContainer());
    file->addAction(m_actions->newVm());
    file->addSeparator();
    file->addAction(tr("&Refresh"), QKeySequence::Refresh, this, &MainWindow::refresh);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    QMenu *instance = menuBar()->addMenu(tr("&Instance"));
    for (QAction *action : m_actions->verbActions()) {
        if (action == m_actions->action(InstanceActions::Delete))
            instance->addSeparator();
        instance->addAction(action);
    }
    instance->addSeparator();
    instance->addAction(m_compareAction);
    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Overview"), QKeySequence(QStringLiteral("Alt+1")), this,
                    [this] { m_details->showTab(DetailsPane::OverviewTab); });
    view->addAction(tr("&Performance"), QKeySequence(QStringLiteral("Alt+2")), this,
                    [this] { m_details->showTab(DetailsPane::PerformanceTab); });
    view->addAction(tr("&Find"), QKeySequence::Find, this, [this] { m_filterEdit->setFocus(); });
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Hamlet"), this, &MainWindow::showAbout);
}

void MainWindow::showAbout()
{
    QString helper = tr("not connected");
    if (m_capabilities)
        helper = tr("hamlet-helper %1 · %2").arg(m_capabilities->version, m_capabilities->summary());
    auto *about = new QMessageBox(
        QMessageBox::NoIcon, tr("About Hamlet"),
        tr("<h3>Hamlet %1</h3><p>Containers and virtual machines, side by side.</p>"
           "<p>Qt %2 · Qt Charts · QCoro</p><p>Helper: %3</p>")
            .arg(QStringLiteral(HAMLET_VERSION), QString::fromLatin1(qVersion()), helper.toHtmlEscaped()),
        QMessageBox::Close, this);
    about->setObjectName(QStringLiteral("aboutBox"));
    about->setIconPixmap(KindIcons::application().pixmap(64, 64));
    about->setAttribute(Qt::WA_DeleteOnClose);
    about->open();
}

void MainWindow::refresh()
{
    m_statusLabel->setText(tr("Connecting to the helper on the %1…").arg(m_client->busDescription()));
    m_feed->refresh();
    m_imageModel->refresh();
    QCoro::connect(m_client->capabilities(), this, [this](const Result<Capabilities> &result) {
        if (const auto *caps = std::get_if<Capabilities>(&result))
            showCapabilities(*caps);
        else
            showError(std::get<ClientError>(result));
        Q_EMIT refreshed();
    });
}

void MainWindow::showCapabilities(const Capabilities &caps)
{
    m_capabilities = caps;
    m_banner->hide();
    m_hostPanel->setEnabled(true);
    m_hostPanel->show(caps);
    m_images->setCapabilities(caps);
    updateCounts();
    QString status = caps.summary() + tr(" · sampling %1 s").arg(InstanceFeed::SampleIntervalMs / 1000.0);
    if (const QStringList diagnoses = caps.diagnoses(); !diagnoses.isEmpty())
        status += QStringLiteral(" — ") + diagnoses.join(QLatin1Char(' '));
    m_statusLabel->setText(status);
    setConnected(true);
    // Says in the log which helper answered (also how the packaging tests see an installed window connect).
    Log::gui()->info("connected to hamlet-helper {}: {}", caps.version.toStdString(), status.toStdString());
}

void MainWindow::showError(const ClientError &error)
{
    m_capabilities.reset();
    m_hostPanel->setEnabled(false);
    const QString title = error.name == Error::NotAuthorized ? tr("The Hamlet helper refused access")
                                                             : tr("Cannot reach the Hamlet helper");
    m_banner->showError(title, error.text());
    m_statusLabel->setText(tr("Not connected: %1").arg(error.message));
    setConnected(false);
    Log::gui()->warn("{}: {}", error.name.toStdString(), error.message.toStdString());
}

void MainWindow::setConnected(bool connected)
{
    m_actions->setConnected(connected);
    m_view->setEnabled(connected);
}

QString MainWindow::statusText() const
{
    return m_statusLabel->text();
}

void MainWindow::updateCounts()
{
    m_sidebar->setCount(Sidebar::All, m_model->count());
    m_sidebar->setCount(Sidebar::Containers, m_model->count(QStringLiteral("container")));
    m_sidebar->setCount(Sidebar::Vms, m_model->count(QStringLiteral("vm")));
    m_sidebar->setCount(Sidebar::Images, m_images->count());
    updateDetails();
}

void MainWindow::onSection(int section)
{
    // The images need the width (names, digests, who uses them); the host facts are for instances.
    m_right->setVisible(section != Sidebar::Images);
    if (section == Sidebar::Images) {
        m_center->setCurrentWidget(m_images);
        m_right->setCurrentIndex(0);
        return;
    }
    m_center->setCurrentWidget(m_view);
    m_filter->setKind(section == Sidebar::Containers ? QStringLiteral("container")
                          : section == Sidebar::Vms  ? QStringLiteral("vm")
                                                     : QString());
    updateDetails();
}

void MainWindow::updateDetails()
{
    const QStringList selected = m_view->selectedNames();
    m_actions->setSelection(selected);
    m_compareAction->setEnabled(selected.size() == 2);
    const QString name = m_view->currentName();
    if (name.isEmpty() || !m_model->instance(name) || m_center->currentWidget() != m_view) {
        m_right->setCurrentIndex(0);
        return;
    }
    m_details->setInstance(name);
    m_right->setCurrentWidget(m_details);
}

CompareDialog *MainWindow::compare(const QString &a, const QString &b)
{
    auto *dialog = new CompareDialog(m_client, m_model, a, b, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return dialog;
}

void MainWindow::compareFromHostPage()
{
    QStringList selected = m_view->selectedNames();
    if (selected.size() != 2) {
        // The newest container and the newest VM: what "Run as a VM" beside a container leaves.
        QString container;
        QString vm;
        for (const QString &name : m_model->names()) {
            const InstanceListModel::Instance *instance = m_model->instance(name);
            (instance->kind == QLatin1String("vm") ? vm : container) = name;
        }
        if (container.isEmpty() || vm.isEmpty()) {
            statusBar()->showMessage(tr("Compare needs a container and a VM: make both from one image (Images, "
                                        "Run both ways), or select the two to compare."),
                                     StatusMessageMs);
            return;
        }
        selected = {container, vm};
    }
    compare(selected.at(0), selected.at(1));
}

bool MainWindow::showInstance(const QString &name)
{
    if (!m_model->instance(name))
        return false;
    if (m_sidebar->current() == Sidebar::Images)
        m_sidebar->select(Sidebar::All);
    if (!m_view->selectName(name)) {
        m_filterEdit->clear();
        m_sidebar->select(Sidebar::All);
        if (!m_view->selectName(name))
            return false;
    }
    updateDetails();
    return true;
}

QString MainWindow::suggestName(const QString &stem) const
{
    for (int i = 1;; ++i) {
        const QString name = stem + QString::number(i);
        if (!m_model->instance(name))
            return name;
    }
}

ContainerWizard *MainWindow::newContainer(const QString &image)
{
    auto *wizard = new ContainerWizard(m_client, m_capabilities.value_or(Capabilities {}),
                                       suggestName(QStringLiteral("apartment")), this);
    wizard->offerImages(m_imageModel, image);
    connect(wizard, &CreateWizard::created, this, [this](const QString &name) {
        if (!showInstance(name))
            m_landOn = name;
        m_details->showTab(DetailsPane::OverviewTab);
        statusBar()->showMessage(tr("%1 created").arg(name), StatusMessageMs);
    });
    wizard->open();
    return wizard;
}

VmWizard *MainWindow::newVm()
{
    auto *wizard
        = new VmWizard(m_client, m_capabilities.value_or(Capabilities {}), suggestName(QStringLiteral("house")), this);
    connect(wizard, &CreateWizard::created, this, [this](const QString &name) {
        if (!showInstance(name))
            m_landOn = name;
        m_details->showTab(DetailsPane::OverviewTab);
        statusBar()->showMessage(tr("%1 created").arg(name), StatusMessageMs);
    });
    wizard->open();
    return wizard;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(GeometryKey, saveGeometry());
    settings.setValue(SplitterKey, m_splitter->saveState());
    QMainWindow::closeEvent(event);
}

} // namespace Hamlet
