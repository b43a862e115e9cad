#pragma once

#include <QFrame>

class QLabel;
class QPushButton;

namespace Hamlet {

// An inline message at the top of a page: what went wrong, what to do, a Retry button when
// trying again can help (an unreachable helper), and a close button.
class MessageBanner : public QFrame
{
    Q_OBJECT
public:
    explicit MessageBanner(QWidget *parent = nullptr);

    void showError(const QString &title, const QString &details, bool offerRetry = true);
    QString text() const;

Q_SIGNALS:
    void retryRequested();

private:
    QLabel *m_title;
    QLabel *m_details;
    QPushButton *m_retry;
    QPushButton *m_close;
};

} // namespace Hamlet
