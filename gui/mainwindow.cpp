#include "mainwindow.h"

#include "errors.h"
#include "hamlet_version.h"
#include "hostpanel.h"
#include "logging.h"
#include "messagebanner.h"

#include <QApplication>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QVBoxLayout>

namespace Hamlet {

MainWindow::MainWindow(HelperClient *client, QWidget *parent)
    : QMainWindow(parent)
    , m_client(client)
{
    setWindowTitle(tr("Hamlet"));
    setWindowIcon(QIcon::fromTheme(QStringLiteral("dev.hamlet.Hamlet")));
    resize(1000, 640);

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    m_banner = new MessageBanner(central);
    connect(m_banner, &MessageBanner::retryRequested, this, &MainWindow::refresh);
    auto *title = new QLabel(tr("<h2>Hamlet</h2><p>Containers (apartments) and virtual machines (houses), "
                                "side by side.</p>"),
                             central);
    m_hostPanel = new HostPanel(central);
    m_hostPanel->setEnabled(false);
    layout->addWidget(m_banner);
    layout->addWidget(title);
    layout->addWidget(m_hostPanel);
    layout->addStretch(1);
    setCentralWidget(central);

    m_statusLabel = new QLabel(tr("Connecting to the helper on the %1…").arg(client->busDescription()), this);
    statusBar()->addWidget(m_statusLabel, 1);
    createMenus();
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Refresh"), QKeySequence::Refresh, this, &MainWindow::refresh);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Hamlet"), this, [this] {
        QMessageBox::about(this, tr("About Hamlet"),
                           tr("<h3>Hamlet %1</h3><p>Containers and virtual machines, side by side.</p>"
                              "<p>Qt %2%3</p>")
                               .arg(QStringLiteral(HAMLET_VERSION), QString::fromLatin1(qVersion()),
                                    m_capabilities ? tr(" · helper %1").arg(m_capabilities->version) : QString()));
    });
}

void MainWindow::refresh()
{
    m_statusLabel->setText(tr("Connecting to the helper on the %1…").arg(m_client->busDescription()));
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
    QString status = caps.summary();
    if (const QStringList diagnoses = caps.diagnoses(); !diagnoses.isEmpty())
        status += QStringLiteral(" — ") + diagnoses.join(QLatin1Char(' '));
    m_statusLabel->setText(status);
}

void MainWindow::showError(const ClientError &error)
{
    m_capabilities.reset();
    m_hostPanel->setEnabled(false);
    const QString title = error.name == Error::NotAuthorized ? tr("The Hamlet helper refused access")
                                                             : tr("Cannot reach the Hamlet helper");
    m_banner->showError(title, error.text());
    m_statusLabel->setText(tr("Not connected: %1").arg(error.message));
    Log::gui()->warn("{}: {}", error.name, error.message);
}

} // namespace Hamlet
