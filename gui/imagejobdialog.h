#pragma once

#include "helperclient.h"

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QPushButton;
class QVBoxLayout;

namespace Hamlet {

class JobProgressView;

// What Pull and Import share: a form on top, then the job's progress (overall and per layer),
// a status line and an error box. Start sends the call; Cancel cancels the running job on the
// helper; Close is offered once nothing runs. Everything is awaited with QCoro: the window stays
// usable while an image comes in. A refusal of the call and a failure of the job are shown with
// the helper's message and a hint that fits the stage (polkit vs. registry).
class ImageJobDialog : public QDialog
{
    Q_OBJECT
public:
    ImageJobDialog(HelperClient *client, const QString &startText, QWidget *parent = nullptr);

    bool isRunning() const { return !m_jobPath.isEmpty() || m_starting; }
    bool hasSucceeded() const { return m_succeeded; }
    QString errorText() const;
    QString statusText() const;
    JobProgressView *progressView() const { return m_progress; }
    QPushButton *startButton() const { return m_start; }
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *closeButton() const { return m_close; }

    void reject() override; // Escape / window close: not while a job runs

Q_SIGNALS:
    // The image is in the store; name is the image's name when known ("" for an unnamed import).
    void succeeded(const QString &name);

protected:
    // Subclasses put their form here, before the progress.
    QVBoxLayout *formLayout() const { return m_form; }
    // Starts the helper's job (PullImage / ImportImage); returns its path or the refusal.
    virtual QCoro::Task<Result<QString>> startJob() = 0;
    // A startJob() answer for a problem found before calling the helper (a file that cannot be read).
    static QCoro::Task<Result<QString>> refuse(ClientError error);
    virtual bool canStart() const = 0;
    // "docker.io/library/alpine:latest": for messages, and the name succeeded() carries.
    virtual QString subject() const = 0;
    virtual QString expectedName() const { return subject(); }
    // A hint for a failed job (not a refused call), "" for none.
    virtual QString jobHint(const ClientError &error) const;
    virtual void jobFinished() { }
    HelperClient *client() const { return m_client; }
    // Re-evaluates whether Start is offered; call when an input changes.
    void recheck();

private:
    void start();
    void watch(const QString &jobPath);
    void finish(const Result<QString> &result);
    void showFailure(const QString &what, const ClientError &error, const QString &hint);
    void setRunning(bool running);

    HelperClient *m_client;
    QVBoxLayout *m_form;
    JobProgressView *m_progress;
    QLabel *m_status;
    QLabel *m_error;
    QPushButton *m_start;
    QPushButton *m_cancel;
    QPushButton *m_close;
    QString m_jobPath;
    bool m_starting = false;
    bool m_succeeded = false;
    bool m_cancelling = false;
};

} // namespace Hamlet
