#include "imagejobdialog.h"

#include "errors.h"
#include "jobprogressview.h"
#include "logging.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace Hamlet {

ImageJobDialog::ImageJobDialog(HelperClient *client, const QString &startText, QWidget *parent)
    : QDialog(parent)
    , m_client(client)
    , m_progress(new JobProgressView(this))
    , m_status(new QLabel(this))
    , m_error(new QLabel(this))
{
    setAttribute(Qt::WA_DeleteOnClose);
    // resize, not setMinimumSize: an explicit minimum would stop the layout from growing the
    // dialog when a long error arrives.
    resize(620, 480);
    auto *formArea = new QWidget(this);
    formArea->setObjectName(QStringLiteral("formArea"));
    // The form keeps its height when a long error arrives: the dialog grows instead.
    formArea->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    m_form = new QVBoxLayout(formArea);
    m_form->setContentsMargins(0, 0, 0, 0);
    m_progress->hide();
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    m_error->setObjectName(QStringLiteral("error"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(
        QStringLiteral("QLabel { background: #fdecea; border: 1px solid #e0a39c; border-radius: 4px; padding: 6px; }"));
    m_error->hide();

    auto *buttons = new QDialogButtonBox(this);
    m_start = buttons->addButton(startText, QDialogButtonBox::ActionRole);
    m_start->setObjectName(QStringLiteral("start"));
    m_start->setDefault(true);
    m_cancel = buttons->addButton(tr("Cancel"), QDialogButtonBox::ActionRole);
    m_cancel->setObjectName(QStringLiteral("cancelJob"));
    m_cancel->setAutoDefault(false);
    m_cancel->hide();
    m_close = buttons->addButton(QDialogButtonBox::Close);
    m_close->setAutoDefault(false);
    connect(m_start, &QPushButton::clicked, this, &ImageJobDialog::start);
    connect(m_close, &QPushButton::clicked, this, &ImageJobDialog::reject);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (m_jobPath.isEmpty())
            return;
        m_cancelling = true;
        m_cancel->setEnabled(false);
        m_status->setText(tr("Cancelling…"));
        QCoro::connect(m_client->cancelJob(m_jobPath), this, [this](const Result<bool> &result) {
            if (const auto *error = std::get_if<ClientError>(&result))
                showFailure(tr("Could not cancel"), *error, error->hint);
        });
    });

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(formArea);
    layout->addWidget(m_progress, 1);
    layout->addStretch(0);
    layout->addWidget(m_status);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
}

QString ImageJobDialog::errorText() const
{
    return m_error->isVisible() ? m_error->text() : QString();
}

QString ImageJobDialog::statusText() const
{
    return m_status->text();
}

void ImageJobDialog::reject()
{
    if (isRunning()) {
        m_status->setText(tr("%1 is still running: Cancel it first, or wait.").arg(subject()));
        return;
    }
    QDialog::reject();
}

void ImageJobDialog::recheck()
{
    m_start->setEnabled(!isRunning() && canStart());
}

void ImageJobDialog::setRunning(bool running)
{
    findChild<QWidget *>(QStringLiteral("formArea"))->setEnabled(!running);
    m_cancel->setVisible(running);
    m_cancel->setEnabled(running);
    m_close->setEnabled(!running);
    recheck();
}

QCoro::Task<Result<QString>> ImageJobDialog::refuse(ClientError error)
{
    co_return error;
}

QString ImageJobDialog::jobHint(const ClientError &error) const
{
    Q_UNUSED(error);
    return {};
}

void ImageJobDialog::start()
{
    if (isRunning() || !canStart())
        return;
    m_succeeded = false;
    m_cancelling = false;
    m_error->hide();
    m_progress->reset();
    m_progress->show();
    m_starting = true;
    setRunning(true);
    m_status->setText(tr("Asking the helper for %1…").arg(subject()));
    Log::gui()->info("image job for {}", subject().toStdString());
    QCoro::Task<Result<QString>> task = startJob();
    QCoro::connect(std::move(task), this, [this](const Result<QString> &result) {
        m_starting = false;
        if (const auto *error = std::get_if<ClientError>(&result)) {
            // The call was refused (polkit, a malformed reference, Unsupported): the client's hint fits.
            setRunning(false);
            m_progress->hide();
            m_status->clear();
            showFailure(tr("Could not start: %1").arg(subject()), *error, error->hint);
            return;
        }
        watch(std::get<QString>(result));
    });
}

void ImageJobDialog::watch(const QString &jobPath)
{
    m_jobPath = jobPath;
    m_status->setText(tr("Working on %1…").arg(subject()));
    connect(m_client, &HelperClient::jobChanged, this, [this](const QString &path, const QVariantMap &changed) {
        if (path == m_jobPath)
            m_progress->apply(changed);
    });
    // What happened before the path was known.
    QCoro::connect(m_client->jobProperties(jobPath), this, [this, jobPath](const Result<QVariantMap> &result) {
        if (const auto *properties = std::get_if<QVariantMap>(&result); properties && jobPath == m_jobPath)
            m_progress->apply(*properties);
    });
    QCoro::connect(m_client->waitForJob(jobPath), this, [this, jobPath](const Result<QString> &result) {
        // The job stays on the bus a few seconds after Completed: its final figures, then the outcome.
        QCoro::connect(m_client->jobProperties(jobPath), this, [this, result](const Result<QVariantMap> &properties) {
            if (const auto *values = std::get_if<QVariantMap>(&properties))
                m_progress->apply(*values);
            finish(result);
        });
    });
}

void ImageJobDialog::finish(const Result<QString> &result)
{
    disconnect(m_client, &HelperClient::jobChanged, this, nullptr);
    m_jobPath.clear();
    setRunning(false);
    if (const auto *error = std::get_if<ClientError>(&result)) {
        if (m_cancelling) {
            m_progress->setOutcome(tr("cancelled"));
            m_status->setText(tr("Cancelled: nothing of %1 was kept.").arg(subject()));
            return;
        }
        m_progress->setOutcome(tr("failed"));
        m_status->clear();
        showFailure(tr("%1 failed").arg(subject()), *error, jobHint(*error));
        return;
    }
    m_succeeded = true;
    m_status->setText(tr("Done: %1 is in the store.").arg(expectedName().isEmpty() ? subject() : expectedName()));
    Log::gui()->info("image job for {} done", subject().toStdString());
    jobFinished();
    Q_EMIT succeeded(expectedName());
}

void ImageJobDialog::showFailure(const QString &what, const ClientError &error, const QString &hint)
{
    Log::gui()->warn("{}: {}: {}", what.toStdString(), error.name.toStdString(), error.message.toStdString());
    QString text = QStringLiteral("<b>%1</b><br>%2").arg(what.toHtmlEscaped(), error.message.toHtmlEscaped());
    if (!hint.isEmpty())
        text += QStringLiteral("<br>") + hint.toHtmlEscaped();
    m_error->setText(text);
    m_error->show();
}

} // namespace Hamlet
