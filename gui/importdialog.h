#pragma once

#include "imagejobdialog.h"

#include <QFile>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;

namespace Hamlet {

class FilePicker;

// Import…: an archive file (docker save, OCI archive, or a root filesystem tarball), its format
// guessed from the file and changeable, a name (required for a root filesystem) and, for a root
// filesystem, the command containers of it run by default. The GUI opens the file as the person
// and hands the helper the descriptor, so the helper reads only what the person can read.
class ImportDialog : public ImageJobDialog
{
    Q_OBJECT
public:
    explicit ImportDialog(HelperClient *client, QWidget *parent = nullptr);

    FilePicker *filePicker() const { return m_file; }
    QComboBox *formatBox() const { return m_format; }
    QString format() const;
    QString guessText() const;
    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *commandEdit() const { return m_command; }
    // What ImportImage is sent besides the fd and the format.
    QVariantMap options() const;

Q_SIGNALS:
    void formatGuessed(const QString &format);

protected:
    QCoro::Task<Result<QString>> startJob() override;
    bool canStart() const override;
    QString subject() const override;
    QString expectedName() const override;

private:
    void onFileChanged();
    void onFormatChanged();

    FilePicker *m_file;
    QComboBox *m_format;
    QLabel *m_guess;
    QLineEdit *m_name;
    QLineEdit *m_command;
    QLabel *m_commandLabel;
    std::unique_ptr<QFile> m_archive; // open while the helper reads its duplicate
    int m_guessGeneration = 0;
};

} // namespace Hamlet
