#include "consolepage.h"

#include "console/logview.h"
#include "console/terminalwidget.h"
#include "helperclient.h"

#include <QLabel>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <unistd.h>

namespace Hamlet {

ConsolePage::ConsolePage(HelperClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
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
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);
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

} // namespace Hamlet
