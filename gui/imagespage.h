#pragma once

#include "capabilities.h"
#include "helperclient.h"

#include <QMessageBox>
#include <QPointer>
#include <QWidget>

#include <functional>

class QAction;
class QLabel;
class QToolBar;
class QTreeView;

namespace Hamlet {

class ImageJobDialog;
class ImageListModel;
class ImportDialog;
class MessageBanner;
class PullDialog;

// The images containers are made from: the store as ListImages tells it (kept current by the
// model), and what can be done with them: Pull…, Import…, Remove (asked first; the helper refuses
// while a container uses the image, and the page says which), New container from the image, and
// Run as a VM (the image booted as a micro-VM with the host's kernel), and Run both ways (a
// container and a micro-VM of it, to Compare).
class ImagesPage : public QWidget
{
    Q_OBJECT
public:
    ImagesPage(HelperClient *client, ImageListModel *model, QWidget *parent = nullptr);

    void setCapabilities(const Capabilities &capabilities);
    int count() const;

    QTreeView *view() const { return m_view; }
    QToolBar *toolBar() const { return m_toolBar; }
    MessageBanner *banner() const { return m_banner; }
    QAction *pullAction() const { return m_pull; }
    QAction *importAction() const { return m_import; }
    QAction *removeAction() const { return m_remove; }
    QAction *createAction() const { return m_create; }
    QAction *runAsVmAction() const { return m_runAsVm; }
    QAction *runBothWaysAction() const { return m_runBoth; }
    QMessageBox *pendingConfirmation() const { return m_confirmation; }
    QString detailsText() const;

    QString selectedImage() const;
    bool selectImage(const QString &name);

public Q_SLOTS:
    PullDialog *pull();
    ImportDialog *importArchive();
    // Asks first; the answer removes it through the helper.
    void removeSelected();
    // Boots the selected image as a micro-VM (CreateVm source=image), named after the image.
    void runSelectedAsVm();
    // A container and a micro-VM of the selected image, then bothWaysCreated (Compare opens).
    void runSelectedBothWays();

Q_SIGNALS:
    void createContainerRequested(const QString &image);
    void statusMessage(const QString &message);
    // A VM of an image was created (and boots): the window can show it.
    void vmCreated(const QString &name);
    void bothWaysCreated(const QString &container, const QString &vm);

private:
    void updateSelection();
    void remove(const QString &name);
    void adopt(ImageJobDialog *dialog);
    // Creates a container or an image VM named base (base2, base3... when taken), then done(name).
    void runImage(const QString &kind, const QString &image, const QString &base, int attempt,
                  const std::function<void(const QString &)> &done);

    HelperClient *m_client;
    ImageListModel *m_model;
    MessageBanner *m_banner;
    QToolBar *m_toolBar;
    QTreeView *m_view;
    QLabel *m_details;
    QLabel *m_note;
    QAction *m_pull;
    QAction *m_import;
    QAction *m_remove;
    QAction *m_create;
    QAction *m_runAsVm;
    QAction *m_runBoth;
    QPointer<QMessageBox> m_confirmation;
    QString m_selectAfterRefresh; // a new image to select once the list has it
    QString m_selectedBeforeReset;
};

} // namespace Hamlet
