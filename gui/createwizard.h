#pragma once

#include "helperclient.h"

#include <QWizard>
#include <optional>

class QLabel;
class QProgressBar;
class QTimer;

namespace Hamlet {

class FormPage;

// What New container and New VM share: the last page sums up what will be made; Finish sends
// the create call, shows the job's progress on that page, and closes on success (created() names
// the new instance so the window can land on it). A refusal or a failed job is shown on the page
// with the helper's message and hint, and the person can go Back and change what is wrong.
class CreateWizard : public QWizard
{
    Q_OBJECT
public:
    CreateWizard(HelperClient *client, QWidget *parent = nullptr);

    bool isCreating() const { return m_creating; }
    QString errorText() const;
    QString statusText() const;
    FormPage *finishPage() const { return m_finishPage; }

    void accept() override;
    // What Finish sends: the spec, or a problem to show (e.g. a file that cannot be opened).
    virtual std::optional<QVariantMap> spec(QString *problem) const = 0;

Q_SIGNALS:
    void created(const QString &name);

protected:
    // Adds the summary/progress page; subclasses call it after adding their own pages.
    void addFinishPage();
    void initializePage(int id) override;

    virtual QString instanceName() const = 0;
    virtual QString summary() const = 0;
    virtual bool createsVm() const = 0;
    // The helper refused the create call (shown on the last page already): a subclass may show it
    // beside the input it is about, too.
    virtual void refused(const ClientError &error) { Q_UNUSED(error); }

    HelperClient *client() const { return m_client; }

private:
    void startCreate();
    void watchJob(const QString &jobPath);
    void showFailure(const QString &name, const ClientError &error);
    void setBusy(bool busy);

    HelperClient *m_client;
    FormPage *m_finishPage = nullptr;
    QLabel *m_summary = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_error = nullptr;
    QTimer *m_poll = nullptr;
    QString m_jobPath;
    bool m_creating = false;
    bool m_done = false;
};

} // namespace Hamlet
