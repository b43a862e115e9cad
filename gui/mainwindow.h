#pragma once

#include "capabilities.h"
#include "helperclient.h"

#include <QMainWindow>
#include <optional>

class QLabel;

namespace Hamlet {

class HostPanel;
class MessageBanner;

// Hamlet's one window. It connects to the helper, shows what the host can do, and when the helper
// is unreachable or refuses, says so and how to fix it, with a Retry.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(HelperClient *client, QWidget *parent = nullptr);

    // What the helper reported last, if it answered.
    const std::optional<Capabilities> &capabilities() const { return m_capabilities; }
    HostPanel *hostPanel() const { return m_hostPanel; }
    MessageBanner *banner() const { return m_banner; }

public Q_SLOTS:
    void refresh();

Q_SIGNALS:
    // Emitted after each refresh, whether the helper answered or not.
    void refreshed();

private:
    void showCapabilities(const Capabilities &capabilities);
    void showError(const ClientError &error);
    void createMenus();

    HelperClient *m_client;
    HostPanel *m_hostPanel;
    MessageBanner *m_banner;
    QLabel *m_statusLabel;
    std::optional<Capabilities> m_capabilities;
};

} // namespace Hamlet
