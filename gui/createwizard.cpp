#include "createwizard.h"

#include "dbusnames.h"
#include "errors.h"
#include "formpage.h"
#include "logging.h"

#include <QAbstractButton>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QLabel>
#include <QProgressBar>
#include <QTimer>
#include <QVBoxLayout>

namespace Hamlet {

CreateWizard::CreateWizard(HelperClient *client, QWidget *parent)
    : QWizard(parent)
    , m_client(client)
{
    setWizardStyle(QWizard::ClassicStyle);
    setOption(QWizard::NoBackButtonOnStartPage);
    setWindowModality(Qt::WindowModal);
    setAttribute(Qt::WA_DeleteOnClose);
    setMinimumSize(600, 500);
}

void CreateWizard::addFinishPage()
{
    m_finishPage = new FormPage(tr("Ready"), tr("Finish creates it and starts it."), this);
    m_summary = new QLabel(m_finishPage);
    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress = new QProgressBar(m_finishPage);
    m_progress->setObjectName(QStringLiteral("progress"));
    m_progress->setRange(0, 100);
    m_progress->hide();
    m_status = new QLabel(m_finishPage);
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    m_error = new QLabel(m_finishPage);
    m_error->setObjectName(QStringLiteral("error"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(
        QStringLiteral("QLabel { background: #fdecea; border: 1px solid #e0a39c; border-radius: 4px; padding: 6px; }"));
    m_error->hide();
    auto *layout = new QVBoxLayout(m_finishPage);
    layout->addWidget(m_summary);
    layout->addStretch(1);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(m_error);
    m_finishPage->setRule([this] { return !m_creating; });
    m_finishPage->setFinalPage(true);
    addPage(m_finishPage);

    m_poll = new QTimer(this);
    m_poll->setInterval(250);
    connect(m_poll, &QTimer::timeout, this, [this] {
        QDBusMessage get = QDBusMessage::createMethodCall(
            Bus::ServiceName, m_jobPath, QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("Get"));
        get << Bus::JobInterface << QStringLiteral("Progress");
        auto *watcher = new QDBusPendingCallWatcher(m_client->bus().asyncCall(get), this);
        connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, watcher] {
            watcher->deleteLater();
            const QDBusPendingReply<QDBusVariant> reply = *watcher;
            if (reply.isError() || !m_creating)
                return;
            const double progress = reply.value().variant().toDouble();
            if (progress > 0) {
                m_progress->setRange(0, 100);
                m_progress->setValue(static_cast<int>(progress * 100));
            }
        });
    });
}

void CreateWizard::initializePage(int id)
{
    if (page(id) == m_finishPage) {
        m_summary->setText(summary());
        m_error->hide();
        m_status->clear();
        m_progress->hide();
    }
    QWizard::initializePage(id);
}

QString CreateWizard::errorText() const
{
    return m_error && m_error->isVisible() ? m_error->text() : QString();
}

QString CreateWizard::statusText() const
{
    return m_status ? m_status->text() : QString();
}

void CreateWizard::accept()
{
    if (m_done) {
        QWizard::accept();
        return;
    }
    if (!m_creating)
        startCreate();
}

void CreateWizard::setBusy(bool busy)
{
    m_creating = busy;
    for (const WizardButton which : {BackButton, FinishButton, CancelButton})
        if (QAbstractButton *b = button(which))
            b->setEnabled(!busy);
    m_finishPage->recheck();
}

void CreateWizard::startCreate()
{
    const QString name = instanceName();
    QString problem;
    const std::optional<QVariantMap> specification = spec(&problem);
    if (!specification) {
        showFailure(name, ClientError {Error::InvalidArgument, problem, {}});
        return;
    }
    setBusy(true);
    m_error->hide();
    m_progress->setRange(0, 0); // busy until the job reports progress
    m_progress->show();
    m_status->setText(tr("Asking the helper to create %1…").arg(name));
    Log::gui()->info("creating {} {}", createsVm() ? "vm" : "container", name.toStdString());
    auto task
        = createsVm() ? m_client->createVm(name, *specification) : m_client->createContainer(name, *specification);
    QCoro::connect(std::move(task), this, [this, name](const Result<QString> &result) {
        if (const auto *error = std::get_if<ClientError>(&result)) {
            showFailure(name, *error);
            refused(*error);
            return;
        }
        watchJob(std::get<QString>(result));
    });
}

void CreateWizard::watchJob(const QString &jobPath)
{
    const QString name = instanceName();
    m_jobPath = jobPath;
    m_status->setText(createsVm() ? tr("Creating %1: defining the VM and booting it…").arg(name)
                                  : tr("Creating %1: preparing its root filesystem and starting it…").arg(name));
    m_poll->start();
    QCoro::connect(m_client->waitForJob(jobPath), this, [this, name](const Result<QString> &result) {
        m_poll->stop();
        if (const auto *error = std::get_if<ClientError>(&result)) {
            showFailure(name, *error);
            return;
        }
        m_progress->setRange(0, 100);
        m_progress->setValue(100);
        m_status->setText(tr("%1 is ready.").arg(name));
        m_done = true;
        setBusy(false);
        Q_EMIT created(name);
        QWizard::accept();
    });
}

void CreateWizard::showFailure(const QString &name, const ClientError &error)
{
    Log::gui()->warn("creating {} failed: {}: {}", name.toStdString(), error.name.toStdString(),
                     error.message.toStdString());
    setBusy(false);
    m_progress->hide();
    m_status->clear();
    QString text = tr("Could not create %1: %2").arg(name, error.message);
    if (!error.hint.isEmpty())
        text += QLatin1Char('\n') + error.hint;
    if (error.name == Error::Exists || error.name == Error::InvalidArgument || error.name == Error::Busy
        || error.name == Error::NotAuthorized)
        text += QLatin1Char('\n') + tr("Go Back to change it, then Finish again.");
    m_error->setText(text);
    m_error->show();
}

} // namespace Hamlet
