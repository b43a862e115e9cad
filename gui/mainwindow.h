#pragma once

#include "capabilities.h"
#include "helperclient.h"

#include <QMainWindow>
#include <QPointer>
#include <optional>

class QAction;
class QLabel;
class QLineEdit;
class QSplitter;
class QStackedWidget;

namespace Hamlet {

class CompareDialog;
class ContainerWizard;
class DesktopNotifier;
class DetailsPane;
class HostPanel;
class ImageListModel;
class ImagesPage;
class InstanceActions;
class InstanceFeed;
class InstanceFilterModel;
class InstanceListModel;
class InstanceView;
class MessageBanner;
class Sidebar;
class VmWizard;

// Hamlet's one window: the sidebar (All, Containers, VMs, Images), the live instance list, the
// selected instance's details (or this host's facts when none is selected), the actions, and a
// status line that says what the host can do. When the helper is unreachable or refuses, a banner
// says so and how to fix it, with a Retry; nothing waits on the helper.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(HelperClient *client, QWidget *parent = nullptr);
    ~MainWindow() override;

    // What the helper reported last, if it answered.
    const std::optional<Capabilities> &capabilities() const { return m_capabilities; }
    HostPanel *hostPanel() const { return m_hostPanel; }
    MessageBanner *banner() const { return m_banner; }
    InstanceListModel *model() const { return m_model; }
    InstanceView *instanceView() const { return m_view; }
    InstanceActions *actions() const { return m_actions; }
    DetailsPane *details() const { return m_details; }
    Sidebar *sidebar() const { return m_sidebar; }
    ImagesPage *imagesPage() const { return m_images; }
    ImageListModel *imageModel() const { return m_imageModel; }
    InstanceFeed *feed() const { return m_feed; }
    DesktopNotifier *notifier() const { return m_notifier; }
    QString statusText() const;

    // Opens a wizard (window-modal, not blocking) and returns it; image: the one to preselect.
    ContainerWizard *newContainer(const QString &image = {});
    VmWizard *newVm();
    // Opens Compare for two instances (a container and a VM, or any two) and returns it.
    CompareDialog *compare(const QString &a, const QString &b);
    QAction *compareAction() const { return m_compareAction; }
    // The host page's link: Compare the two instances selected, or the newest container and VM.
    void compareFromHostPage();
    // Selects the instance in the list and shows its details.
    bool showInstance(const QString &name);

public Q_SLOTS:
    void refresh();

Q_SIGNALS:
    // Emitted after each refresh, whether the helper answered or not.
    void refreshed();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createLayout();
    void createMenus();
    void showCapabilities(const Capabilities &capabilities);
    void showError(const ClientError &error);
    void setConnected(bool connected);
    void updateCounts();
    void updateDetails();
    void onSection(int section);
    void showAbout();
    QString suggestName(const QString &stem) const;

    HelperClient *m_client;
    InstanceListModel *m_model;
    InstanceFilterModel *m_filter;
    InstanceFeed *m_feed;
    DesktopNotifier *m_notifier;
    ImageListModel *m_imageModel;
    InstanceActions *m_actions = nullptr;
    MessageBanner *m_banner = nullptr;
    Sidebar *m_sidebar = nullptr;
    InstanceView *m_view = nullptr;
    ImagesPage *m_images = nullptr;
    QStackedWidget *m_center = nullptr;
    QStackedWidget *m_right = nullptr;
    HostPanel *m_hostPanel = nullptr;
    DetailsPane *m_details = nullptr;
    QSplitter *m_splitter = nullptr;
    QLineEdit *m_filterEdit = nullptr;
    QLabel *m_statusLabel = nullptr;
    QAction *m_compareAction = nullptr;
    QString m_landOn; // a created instance to select once its row appears
    std::optional<Capabilities> m_capabilities;
};

} // namespace Hamlet
