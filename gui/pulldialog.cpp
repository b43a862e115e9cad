#include "pulldialog.h"

#include "errors.h"

#include <QCheckBox>
#include <QDir>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QtConcurrent>

namespace Hamlet {

namespace {
const QString ProblemStyle = QStringLiteral("color: #b3261e;");

QString homeRelative(const QString &path)
{
    const QString home = QDir::homePath();
    return path.startsWith(home + QLatin1Char('/')) ? QStringLiteral("~") + path.mid(home.size()) : path;
}
} // namespace

PullDialog::PullDialog(HelperClient *client, QWidget *parent, const QStringList &credentialFiles)
    : ImageJobDialog(client, tr("&Pull"), parent)
    , m_reference(new QLineEdit(this))
    , m_referenceInfo(new QLabel(this))
    , m_insecure(new QCheckBox(tr("&Insecure registry: allow plain HTTP and unverified TLS"), this))
    , m_loopbackNote(new QLabel(this))
    , m_credentials(new QLabel(tr("Looking for stored credentials…"), this))
    , m_signIn(new QGroupBox(tr("&Sign in with a user name and password"), this))
    , m_username(new QLineEdit(m_signIn))
    , m_password(new QLineEdit(m_signIn))
{
    setObjectName(QStringLiteral("pullDialog"));
    setWindowTitle(tr("Pull an Image"));
    m_reference->setObjectName(QStringLiteral("reference"));
    m_reference->setPlaceholderText(tr("alpine, debian:12, ghcr.io/org/app:tag"));
    m_referenceInfo->setObjectName(QStringLiteral("referenceInfo"));
    m_referenceInfo->setWordWrap(true);
    m_insecure->setObjectName(QStringLiteral("insecure"));
    m_loopbackNote->setWordWrap(true);
    m_loopbackNote->hide();
    m_credentials->setObjectName(QStringLiteral("credentialsInfo"));
    m_credentials->setWordWrap(true);
    m_signIn->setObjectName(QStringLiteral("signIn"));
    m_signIn->setCheckable(true);
    m_signIn->setChecked(false);
    m_username->setObjectName(QStringLiteral("username"));
    m_password->setObjectName(QStringLiteral("password"));
    m_password->setEchoMode(QLineEdit::Password);
    auto *signInForm = new QFormLayout(m_signIn);
    signInForm->addRow(tr("&User name:"), m_username);
    signInForm->addRow(tr("Pass&word:"), m_password);

    auto *form = new QFormLayout;
    form->addRow(tr("&Reference:"), m_reference);
    form->addRow(QString(), m_referenceInfo);
    form->addRow(QString(), m_insecure);
    form->addRow(QString(), m_loopbackNote);
    form->addRow(tr("Credentials:"), m_credentials);
    formLayout()->addLayout(form);
    formLayout()->addWidget(m_signIn);

    connect(m_reference, &QLineEdit::textChanged, this, &PullDialog::onReferenceChanged);
    connect(m_signIn, &QGroupBox::toggled, this, &PullDialog::onReferenceChanged);
    connect(m_username, &QLineEdit::textChanged, this, &PullDialog::recheck);
    onReferenceChanged();
    loadCredentials(credentialFiles);
}

void PullDialog::loadCredentials(const QStringList &files)
{
    // The person's home may be slow (NFS): read it off the UI thread.
    auto *watcher = new QFutureWatcher<RegistryCredentials>(this);
    connect(watcher, &QFutureWatcher<RegistryCredentials>::finished, this, [this, watcher] {
        m_stored = watcher->result();
        m_credentialsLoaded = true;
        watcher->deleteLater();
        onReferenceChanged();
    });
    watcher->setFuture(QtConcurrent::run([files] { return RegistryCredentials::load(files); }));
}

void PullDialog::onReferenceChanged()
{
    QString problem;
    m_parsed = ImageReference::parse(m_reference->text(), &problem);
    if (!m_parsed) {
        m_referenceInfo->setStyleSheet(m_reference->text().isEmpty() ? QString() : ProblemStyle);
        m_referenceInfo->setText(problem);
        m_loopbackNote->hide();
        m_credentials->setText(m_credentialsLoaded ? tr("—") : tr("Looking for stored credentials…"));
        recheck();
        return;
    }
    m_referenceInfo->setStyleSheet(QString());
    m_referenceInfo->setText(tr("Pulls %1").arg(m_parsed->name()));
    m_loopbackNote->setVisible(m_parsed->isLoopback());
    m_loopbackNote->setText(
        tr("%1 is on this machine: plain HTTP is allowed without ticking this.").arg(m_parsed->registry));
    if (m_signIn->isChecked()) {
        m_credentials->setText(tr("The user name and password typed below, instead of any stored login."));
    } else if (!m_credentialsLoaded) {
        m_credentials->setText(tr("Looking for stored credentials…"));
    } else if (const auto match = m_stored.find(*m_parsed); match && !match->auth.isEmpty()) {
        m_credentials->setText(
            tr("Your login for %1 from %2 will be used.").arg(match->key, homeRelative(match->file)));
    } else if (match) {
        m_credentials->setText(tr("Your login for %1 is kept by the credential helper '%2' (%3), which Hamlet does "
                                  "not run: sign in below instead.")
                                   .arg(match->key, match->helper, homeRelative(match->file)));
    } else {
        m_credentials->setText(
            tr("No stored login for %1: pulling anonymously (or sign in below).").arg(m_parsed->registry));
    }
    recheck();
}

QString PullDialog::referenceInfo() const
{
    return m_referenceInfo->text();
}

QString PullDialog::credentialsInfo() const
{
    return m_credentials->text();
}

bool PullDialog::canStart() const
{
    if (!m_parsed)
        return false;
    return !m_signIn->isChecked() || !m_username->text().isEmpty();
}

QString PullDialog::subject() const
{
    return m_parsed ? m_parsed->name() : m_reference->text().trimmed();
}

QVariantMap PullDialog::options() const
{
    QVariantMap options;
    if (m_insecure->isChecked())
        options.insert(QStringLiteral("insecure"), true);
    if (m_signIn->isChecked()) {
        options.insert(QStringLiteral("username"), m_username->text());
        options.insert(QStringLiteral("password"), m_password->text());
    } else if (m_parsed) {
        if (const auto match = m_stored.find(*m_parsed); match && !match->auth.isEmpty())
            options.insert(QStringLiteral("auth"), match->auth);
    }
    return options;
}

QCoro::Task<Result<QString>> PullDialog::startJob()
{
    // The reference as typed: the helper normalises it the same way and is the judge.
    return client()->pullImage(m_reference->text().trimmed(), options());
}

QString PullDialog::jobHint(const ClientError &error) const
{
    if (error.name == Error::NotAuthorized)
        return tr("The registry refused the credentials: check the user name and password (sign in above), or "
                  "log in again with 'podman login' or 'docker login'.");
    if (error.name == Error::NotFound)
        return tr("Check the name and the tag; a private image also needs credentials.");
    if (error.message.contains(QLatin1String("digest"), Qt::CaseInsensitive))
        return tr("Try again; if it happens again, the registry or a proxy on the way is damaging the image.");
    if (error.message.contains(QLatin1String("TLS"), Qt::CaseInsensitive)
        || error.message.contains(QLatin1String("SSL"), Qt::CaseInsensitive))
        return tr("If this registry speaks plain HTTP or has a self-signed certificate, tick Insecure registry.");
    return {};
}

} // namespace Hamlet
