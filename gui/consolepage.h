#pragma once

#include <QWidget>

class QLabel;
class QStackedWidget;

namespace Hamlet {

class HelperClient;
class LogView;
class TerminalWidget;

// The Console tab: a terminal on a tty container's pty or a VM's serial console, or the log of a
// container without a tty, opened from the helper (OpenConsole) when the tab is shown and the
// instance runs, and opened again when it restarts. Says plainly when there is nothing to show.
class ConsolePage : public QWidget
{
    Q_OBJECT
public:
    ConsolePage(HelperClient *client, QWidget *parent = nullptr);

    // The instance shown and what the page needs to know of it; "" name shows nothing.
    void showInstance(const QString &name, const QString &kind, bool tty, const QString &state);
    // Connects when visible; the tab calls it when it becomes current.
    void activate();
    void deactivate();

    TerminalWidget *terminal() const { return m_terminal; }
    LogView *log() const { return m_log; }
    QString message() const;

private:
    void connectConsole();
    void showMessage(const QString &text);

    HelperClient *m_client;
    QStackedWidget *m_stack;
    QLabel *m_message;
    TerminalWidget *m_terminal;
    LogView *m_log;
    QString m_name;
    QString m_kind;
    QString m_state;
    bool m_tty = false;
    bool m_active = false;
    bool m_connected = false;
    int m_generation = 0;
};

} // namespace Hamlet
