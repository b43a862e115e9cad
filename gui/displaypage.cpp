#include "displaypage.h"

#include "display/displaywidget.h"
#include "helperclient.h"

#include <QVBoxLayout>

#include <unistd.h>

namespace Hamlet {

DisplayPage::DisplayPage(HelperClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_display(new DisplayWidget(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_display);
    connect(m_display, &DisplayWidget::closed, this, [this] { m_connected = false; });
    m_display->setPlaceholderText(tr("Select a VM to see its screen."));
}

void DisplayPage::showInstance(const QString &name, const QString &kind, const QString &state)
{
    const bool restarted = state == QLatin1String("running") && m_state != QLatin1String("running")
        && m_state != QLatin1String("paused");
    if (name != m_name || restarted) {
        ++m_generation;
        m_display->closeFd();
        m_connected = false;
    }
    m_name = name;
    m_kind = kind;
    m_state = state;
    if (m_name.isEmpty())
        m_display->setPlaceholderText(tr("Select a VM to see its screen."));
    else if (m_kind != QLatin1String("vm"))
        m_display->setPlaceholderText(tr("%1 is a container: containers have a console, not a screen.").arg(m_name));
    else if (m_state != QLatin1String("running") && m_state != QLatin1String("paused"))
        m_display->setPlaceholderText(tr("%1 is %2: start it to see its screen.").arg(m_name, m_state));
    else if (m_active && !m_connected)
        connectDisplay();
}

void DisplayPage::activate()
{
    m_active = true;
    if (m_kind == QLatin1String("vm") && !m_connected
        && (m_state == QLatin1String("running") || m_state == QLatin1String("paused")))
        connectDisplay();
}

void DisplayPage::connectDisplay()
{
    m_connected = true;
    const int generation = ++m_generation;
    const QString name = m_name;
    m_display->setPlaceholderText(tr("Connecting to the screen of %1…").arg(name));
    QCoro::connect(m_client->openFd(name, QStringLiteral("OpenDisplay")), this,
                   [this, generation, name](const Result<int> &result) {
                       if (generation != m_generation) {
                           if (const int *fd = std::get_if<int>(&result))
                               ::close(*fd);
                           return;
                       }
                       if (const auto *error = std::get_if<ClientError>(&result)) {
                           // The tiny and kernel-boot VMs have a serial console only.
                           m_connected = false;
                           m_display->setPlaceholderText(error->message);
                           return;
                       }
                       m_display->setFd(std::get<int>(result));
                   });
}

} // namespace Hamlet
