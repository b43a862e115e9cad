#include "importdialog.h"

#include "archiveformat.h"
#include "commandline.h"
#include "errors.h"
#include "filepicker.h"

#include <QComboBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QLabel>
#include <QLineEdit>
#include <QtConcurrent>

namespace Hamlet {

namespace {
const QString Rootfs = QStringLiteral("rootfs");
} // namespace

ImportDialog::ImportDialog(HelperClient *client, QWidget *parent)
    : ImageJobDialog(client, tr("&Import"), parent)
    , m_file(new FilePicker(tr("Image archive"),
                            tr("Image archives (*.tar *.tar.gz *.tgz *.tar.xz *.tar.zst *.oci);;All files (*)"), this))
    , m_format(new QComboBox(this))
    , m_guess(new QLabel(this))
    , m_name(new QLineEdit(this))
    , m_command(new QLineEdit(QStringLiteral("/bin/sh"), this))
    , m_commandLabel(new QLabel(tr("&Command:"), this))
{
    setObjectName(QStringLiteral("importDialog"));
    setWindowTitle(tr("Import an Image"));
    m_file->setObjectName(QStringLiteral("archive"));
    m_format->setObjectName(QStringLiteral("format"));
    m_format->addItem(tr("Docker archive (docker save, podman save)"), QStringLiteral("docker-archive"));
    m_format->addItem(tr("OCI archive (a tar of an OCI image layout)"), QStringLiteral("oci-archive"));
    m_format->addItem(tr("Root filesystem tarball"), Rootfs);
    m_guess->setObjectName(QStringLiteral("formatGuess"));
    m_guess->setWordWrap(true);
    m_name->setObjectName(QStringLiteral("imageName"));
    m_command->setObjectName(QStringLiteral("imageCommand"));
    m_command->setToolTip(tr("What containers made from it run unless told otherwise, split like a shell does."));
    m_commandLabel->setBuddy(m_command);

    auto *form = new QFormLayout;
    form->addRow(tr("&Archive:"), m_file);
    form->addRow(tr("&Format:"), m_format);
    form->addRow(QString(), m_guess);
    form->addRow(tr("&Name:"), m_name);
    form->addRow(m_commandLabel, m_command);
    formLayout()->addLayout(form);

    connect(m_file, &FilePicker::changed, this, &ImportDialog::onFileChanged);
    connect(m_format, &QComboBox::currentIndexChanged, this, &ImportDialog::onFormatChanged);
    connect(m_name, &QLineEdit::textChanged, this, &ImportDialog::recheck);
    onFormatChanged();
}

QString ImportDialog::format() const
{
    return m_format->currentData().toString();
}

QString ImportDialog::guessText() const
{
    return m_guess->text();
}

void ImportDialog::onFileChanged()
{
    recheck();
    m_guess->clear();
    if (!m_file->isReadableFile()) {
        if (!m_file->path().isEmpty())
            m_guess->setText(tr("%1 is not a file you can read.").arg(m_file->path()));
        return;
    }
    // Reading tar headers touches the disk: off the UI thread; only the latest file's answer counts.
    const int generation = ++m_guessGeneration;
    const QString path = m_file->path();
    m_guess->setText(tr("Looking into %1…").arg(QFileInfo(path).fileName()));
    auto *watcher = new QFutureWatcher<ArchiveGuess>(this);
    connect(watcher, &QFutureWatcher<ArchiveGuess>::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != m_guessGeneration)
            return;
        const ArchiveGuess guess = watcher->result();
        if (const int index = m_format->findData(guess.format); index >= 0)
            m_format->setCurrentIndex(index);
        m_guess->setText(guess.reason);
        Q_EMIT formatGuessed(guess.format);
    });
    watcher->setFuture(QtConcurrent::run([path] { return guessArchiveFormat(path); }));
}

void ImportDialog::onFormatChanged()
{
    const bool rootfs = format() == Rootfs;
    m_command->setEnabled(rootfs);
    m_commandLabel->setEnabled(rootfs);
    m_name->setPlaceholderText(rootfs ? tr("required, e.g. mytools:1.0") : tr("the archive's own tag"));
    recheck();
}

bool ImportDialog::canStart() const
{
    if (!m_file->isReadableFile())
        return false;
    return format() != Rootfs || !m_name->text().trimmed().isEmpty();
}

QString ImportDialog::subject() const
{
    const QString name = m_name->text().trimmed();
    return name.isEmpty() ? QFileInfo(m_file->path()).fileName() : name;
}

QString ImportDialog::expectedName() const
{
    return m_name->text().trimmed();
}

QVariantMap ImportDialog::options() const
{
    QVariantMap options;
    if (const QString name = m_name->text().trimmed(); !name.isEmpty())
        options.insert(QStringLiteral("name"), name);
    if (format() == Rootfs) {
        const QStringList command = splitCommandLine(m_command->text());
        if (!command.isEmpty())
            options.insert(QStringLiteral("command"), command);
    }
    return options;
}

QCoro::Task<Result<QString>> ImportDialog::startJob()
{
    // Opened here, as the person: the helper gets this descriptor, never the path.
    m_archive = std::make_unique<QFile>(m_file->path());
    if (!m_archive->open(QIODevice::ReadOnly)) {
        const ClientError error {
            Error::InvalidArgument, tr("Cannot open %1: %2").arg(m_file->path(), m_archive->errorString()), {}};
        m_archive.reset();
        return refuse(error);
    }
    return client()->importImage(m_archive->handle(), format(), options());
}

} // namespace Hamlet
