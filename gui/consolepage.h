#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QStackedWidget;
class QTabWidget;

namespace Hamlet {

class HelperClient;
class LogView;
class TerminalWidget;

// The Console tab: a terminal on a tty container's pty or a VM's serial console, or the log of a
// container without a tty, opened from the helper (OpenConsole) when the tab is shown and the
// instance runs, and opened again when it restarts. Says plainly when there is nothing to show.
// A running container also gets "New shell": a tab beside the main console with a terminal on a
// process Exec started in it (closing the tab hangs the shell up). Shell tabs belong to the
// instance shown: selecting another one closes them.
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
    QPushButton *newShellButton() const { return m_newShell; }
    QTabWidget *sessions() const { return m_sessions; }
    // The terminal of the shell tab at index (1 and up; 0 is the main console), or nullptr.
    TerminalWidget *shellTerminal(int index) const;
    // Opens a shell in the shown container, in a new tab.
    void openShell();

private:
    void connectConsole();
    void showMessage(const QString &text);
    void updateShellButton();
    void closeShells();

    HelperClient *m_client;
    QTabWidget *m_sessions;
    QPushButton *m_newShell;
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
    int m_shellsOpened = 0; // numbers the tabs: "Shell 1", "Shell 2", ...
};

} // namespace Hamlet
