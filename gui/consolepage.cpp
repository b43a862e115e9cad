#include "consolepage.h"

#include "console/logview.h"
#include "console/terminalwidget.h"
#include "helperclient.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QStackedWidget>
#include <QTabBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include <unistd.h>

namespace Hamlet {

ConsolePage::ConsolePage(HelperClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_sessions(new QTabWidget(this))
    , m_newShell(new QPushButton(tr("New shell"), this))
    , m_stack(new QStackedWidget(this))
    , m_message(new QLabel(this))
    , m_terminal(new TerminalWidget(this))
    , m_log(new LogView(this))
{
    m_message->setWordWrap(true);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setMargin(24);
    m_stack->addWidget(m_message);
    m_stack->addWidget(m_terminal);
    m_stack->addWidget(m_log);
    m_sessions->addTab(m_stack, tr("Console"));
    m_sessions->setTabsClosable(true);
    m_sessions->tabBar()->setTabButton(0, QTabBar::RightSide, nullptr); // the main console stays
    m_sessions->setDocumentMode(true);
    m_sessions->setTabBarAutoHide(true); // no tab bar until a shell is opened
    connect(m_sessions, &QTabWidget::tabCloseRequested, this, [this](int index) {
        if (index > 0)
            delete m_sessions->widget(index); // the terminal closes the pty: the shell gets SIGHUP
    });
    m_newShell->setObjectName(QStringLiteral("newShellButton"));
    m_newShell->setToolTip(tr("Open a shell inside the running container, in a tab of its own"));
    connect(m_newShell, &QPushButton::clicked, this, &ConsolePage::openShell);
    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 0);
    bar->addStretch();
    bar->addWidget(m_newShell);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addLayout(bar);
    layout->addWidget(m_sessions);
    // The console went away (the instance stopped or restarted): try again while it runs.
    connect(m_terminal, &TerminalWidget::closed, this, [this] { m_connected = false; });
    showMessage(tr("Select an instance to see its console."));
}

QString ConsolePage::message() const
{
    return m_stack->currentWidget() == m_message ? m_message->text() : QString();
}

void ConsolePage::showMessage(const QString &text)
{
    m_message->setText(text);
    m_stack->setCurrentWidget(m_message);
}

void ConsolePage::showInstance(const QString &name, const QString &kind, bool tty, const QString &state)
{
    const bool other = name != m_name;
    const bool restarted = state == QLatin1String("running") && m_state != QLatin1String("running")
        && m_state != QLatin1String("paused");
    m_name = name;
    m_kind = kind;
    m_tty = tty;
    m_state = state;
    if (other)
        closeShells();
    updateShellButton();
    if (other || restarted) {
        ++m_generation;
        m_terminal->closeFd();
        m_log->closeFd();
        m_connected = false;
    }
    if (m_name.isEmpty()) {
        showMessage(tr("Select an instance to see its console."));
        return;
    }
    if (m_state != QLatin1String("running") && m_state != QLatin1String("paused")) {
        // A log stays readable after the container stopped; a terminal has nothing to talk to.
        if (!(m_kind == QLatin1String("container") && !m_tty && m_connected))
            showMessage(tr("%1 is %2: start it to use its console.").arg(m_name, m_state));
        return;
    }
    if (m_active && !m_connected)
        connectConsole();
}

void ConsolePage::activate()
{
    m_active = true;
    if (!m_name.isEmpty() && !m_connected
        && (m_state == QLatin1String("running") || m_state == QLatin1String("paused")))
        connectConsole();
}

void ConsolePage::deactivate()
{
    m_active = false;
}

void ConsolePage::connectConsole()
{
    m_connected = true;
    const int generation = ++m_generation;
    const QString name = m_name;
    showMessage(tr("Opening the console of %1…").arg(name));
    QCoro::connect(m_client->openFd(name, QStringLiteral("OpenConsole")), this,
                   [this, generation, name](const Result<int> &result) {
                       if (generation != m_generation) { // another instance was selected meanwhile
                           if (const int *fd = std::get_if<int>(&result))
                               ::close(*fd);
                           return;
                       }
                       if (const auto *error = std::get_if<ClientError>(&result)) {
                           m_connected = false;
                           showMessage(tr("The console of %1 cannot be opened: %2").arg(name, error->text()));
                           return;
                       }
                       const int fd = std::get<int>(result);
                       if (m_kind == QLatin1String("container") && !m_tty) {
                           m_log->setFd(fd);
                           m_stack->setCurrentWidget(m_log);
                       } else {
                           m_terminal->setFd(fd);
                           m_stack->setCurrentWidget(m_terminal);
                           m_terminal->setFocus();
                       }
                   });
}

void ConsolePage::updateShellButton()
{
    m_newShell->setVisible(m_kind == QLatin1String("container"));
    m_newShell->setEnabled(m_state == QLatin1String("running"));
}

void ConsolePage::closeShells()
{
    while (m_sessions->count() > 1)
        delete m_sessions->widget(1);
    m_sessions->setCurrentIndex(0);
}

TerminalWidget *ConsolePage::shellTerminal(int index) const
{
    return index > 0 ? qobject_cast<TerminalWidget *>(m_sessions->widget(index)) : nullptr;
}

void ConsolePage::openShell()
{
    if (m_kind != QLatin1String("container") || m_state != QLatin1String("running"))
        return;
    auto *terminal = new TerminalWidget(this);
    terminal->setPlaceholderText(tr("Starting a shell in %1…").arg(m_name));
    const QString title = tr("Shell %1").arg(++m_shellsOpened);
    m_sessions->setCurrentIndex(m_sessions->addTab(terminal, title));
    const QPointer<TerminalWidget> tab(terminal);
    // bash where the image has it, else the POSIX sh every image has.
    const QStringList argv {QStringLiteral("sh"), QStringLiteral("-c"),
                            QStringLiteral("command -v bash >/dev/null 2>&1 && exec bash; exec sh")};
    QCoro::connect(m_client->exec(m_name, argv), this, [this, tab, title](const Result<ExecSession> &result) {
        const ExecSession *session = std::get_if<ExecSession>(&result);
        if (!tab) { // closed before the shell came
            if (session)
                ::close(session->terminal);
            return;
        }
        if (!session) {
            tab->setPlaceholderText(tr("No shell: %1").arg(std::get<ClientError>(result).text()));
            return;
        }
        tab->setFd(session->terminal);
        tab->setFocus();
        const uint id = session->id;
        connect(m_client, &HelperClient::execExited, tab,
                [this, tab, title, id](const QString &, uint ended, int exitCode) {
                    if (ended != id || !tab)
                        return;
                    const int index = m_sessions->indexOf(tab);
                    if (index > 0)
                        m_sessions->setTabText(index,
                                               exitCode >= 0 ? tr("%1 (exit %2)").arg(title).arg(exitCode)
                                                             : tr("%1 (ended)").arg(title));
                });
    });
}

} // namespace Hamlet
