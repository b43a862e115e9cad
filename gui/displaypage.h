#pragma once

#include <QWidget>

namespace Hamlet {

class DisplayWidget;
class HelperClient;

// The Display tab: a VM's screen over the VNC socket from OpenDisplay, connected when the tab is
// shown and the VM runs. Containers, and VMs without graphics, get a plain sentence instead.
class DisplayPage : public QWidget
{
    Q_OBJECT
public:
    DisplayPage(HelperClient *client, QWidget *parent = nullptr);

    void showInstance(const QString &name, const QString &kind, const QString &state);
    void activate();
    void deactivate() { m_active = false; }

    DisplayWidget *display() const { return m_display; }

private:
    void connectDisplay();

    HelperClient *m_client;
    DisplayWidget *m_display;
    QString m_name;
    QString m_kind;
    QString m_state;
    bool m_active = false;
    bool m_connected = false;
    int m_generation = 0;
};

} // namespace Hamlet
