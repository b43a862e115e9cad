#include "filepicker.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>

namespace Hamlet {

FilePicker::FilePicker(const QString &caption, const QString &filter, QWidget *parent)
    : QWidget(parent)
    , m_edit(new QLineEdit(this))
    , m_caption(caption)
    , m_filter(filter)
{
    m_edit->setPlaceholderText(tr("path of a file"));
    auto *browse = new QPushButton(tr("Browse…"), this);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_edit, 1);
    layout->addWidget(browse);
    connect(m_edit, &QLineEdit::textChanged, this, &FilePicker::changed);
    connect(browse, &QPushButton::clicked, this, [this] {
        auto *dialog = new QFileDialog(this, m_caption, QFileInfo(path()).absolutePath(), m_filter);
        dialog->setFileMode(QFileDialog::ExistingFile);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QFileDialog::fileSelected, this, &FilePicker::setPath);
        dialog->open();
    });
}

QString FilePicker::path() const
{
    return m_edit->text().trimmed();
}

void FilePicker::setPath(const QString &path)
{
    m_edit->setText(path);
}

bool FilePicker::isReadableFile() const
{
    const QFileInfo info(path());
    return !path().isEmpty() && info.isFile() && info.isReadable();
}

} // namespace Hamlet
