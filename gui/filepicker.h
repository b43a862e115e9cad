#pragma once

#include <QWidget>

class QLineEdit;

namespace Hamlet {

// A path with a Browse… button; the file dialog opens without blocking (QFileDialog::open).
class FilePicker : public QWidget
{
    Q_OBJECT
public:
    FilePicker(const QString &caption, const QString &filter, QWidget *parent = nullptr);

    QString path() const;
    void setPath(const QString &path);
    // The path names a readable regular file.
    bool isReadableFile() const;
    QLineEdit *lineEdit() const { return m_edit; }

Q_SIGNALS:
    void changed();

private:
    QLineEdit *m_edit;
    QString m_caption;
    QString m_filter;
};

} // namespace Hamlet
