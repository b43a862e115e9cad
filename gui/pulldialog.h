#pragma once

#include "imagejobdialog.h"
#include "registrycredentials.h"

class QCheckBox;
class QGroupBox;
class QLabel;
class QLineEdit;

namespace Hamlet {

// Pull…: a reference (checked lightly as typed; the helper checks for real), "insecure registry",
// and credentials: the person's stored ones for that registry (docker / podman login files, read
// here, never by the helper), or a user name and password typed in. Progress per layer while it
// downloads; Cancel stops it.
class PullDialog : public ImageJobDialog
{
    Q_OBJECT
public:
    // credentialFiles: where stored logins are looked for (tests pass their own).
    PullDialog(HelperClient *client, QWidget *parent = nullptr,
               const QStringList &credentialFiles = RegistryCredentials::defaultFiles());

    QLineEdit *referenceEdit() const { return m_reference; }
    QCheckBox *insecureBox() const { return m_insecure; }
    QGroupBox *signInBox() const { return m_signIn; }
    QLineEdit *usernameEdit() const { return m_username; }
    QLineEdit *passwordEdit() const { return m_password; }
    QString referenceInfo() const;
    QString credentialsInfo() const;
    bool credentialsLoaded() const { return m_credentialsLoaded; }
    // What PullImage is sent.
    QVariantMap options() const;

protected:
    QCoro::Task<Result<QString>> startJob() override;
    bool canStart() const override;
    QString subject() const override;
    QString jobHint(const ClientError &error) const override;

private:
    void loadCredentials(const QStringList &files);
    void onReferenceChanged();

    QLineEdit *m_reference;
    QLabel *m_referenceInfo;
    QCheckBox *m_insecure;
    QLabel *m_loopbackNote;
    QLabel *m_credentials;
    QGroupBox *m_signIn;
    QLineEdit *m_username;
    QLineEdit *m_password;
    std::optional<ImageReference> m_parsed;
    RegistryCredentials m_stored;
    bool m_credentialsLoaded = false;
};

} // namespace Hamlet
