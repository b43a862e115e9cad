#include "imagespage.h"

#include "errors.h"
#include "formatting.h"
#include "imagelistmodel.h"
#include "importdialog.h"
#include "kindicons.h"
#include "logging.h"
#include "messagebanner.h"
#include "names.h"
#include "pulldialog.h"

#include <QAction>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QStyle>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

namespace Hamlet {

ImagesPage::ImagesPage(HelperClient *client, ImageListModel *model, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_model(model)
    , m_banner(new MessageBanner(this))
    , m_toolBar(new QToolBar(this))
    , m_view(new QTreeView(this))
    , m_details(new QLabel(this))
    , m_note(new QLabel(this))
{
    setObjectName(QStringLiteral("imagesPage"));
    m_toolBar->setObjectName(QStringLiteral("imagesToolBar"));
    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_pull = m_toolBar->addAction(style()->standardIcon(QStyle::SP_ArrowDown), tr("Pull…"), this, &ImagesPage::pull);
    m_pull->setToolTip(tr("Download an image from a registry (Docker Hub, ghcr.io, quay.io, your own)"));
    m_import = m_toolBar->addAction(style()->standardIcon(QStyle::SP_DialogOpenButton), tr("Import…"), this,
                                    &ImagesPage::importArchive);
    m_import->setToolTip(tr("Add an image from a docker save / OCI archive or a root filesystem tarball"));
    m_remove = m_toolBar->addAction(style()->standardIcon(QStyle::SP_TrashIcon), tr("Remove"), this,
                                    &ImagesPage::removeSelected);
    m_remove->setToolTip(tr("Remove the selected image from the store"));
    m_toolBar->addSeparator();
    m_create = m_toolBar->addAction(KindIcons::apartment(), tr("New Container from Image…"), this,
                                    [this] { Q_EMIT createContainerRequested(selectedImage()); });
    m_runAsVm = m_toolBar->addAction(KindIcons::house(), tr("Run as a VM"), this, &ImagesPage::runSelectedAsVm);
    m_runAsVm->setObjectName(QStringLiteral("runImageAsVm"));
    m_runAsVm->setToolTip(tr("Boot the selected image as a micro-VM: this host's kernel in a VM of its own, the "
                             "image's files on a disk of its own (a house instead of an apartment)"));
    m_runBoth = m_toolBar->addAction(tr("Run both ways"), this, &ImagesPage::runSelectedBothWays);
    m_runBoth->setObjectName(QStringLiteral("runImageBothWays"));
    m_runBoth->setToolTip(tr("Run the selected image as a container and as a micro-VM, then compare the two, "
                             "measured"));

    m_view->setObjectName(QStringLiteral("imageList"));
    m_view->setModel(m_model);
    m_view->setRootIsDecorated(false);
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->header()->setStretchLastSection(true);
    connect(m_view, &QTreeView::doubleClicked, this, [this] { Q_EMIT createContainerRequested(selectedImage()); });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ImagesPage::updateSelection);
    // A refresh resets the model: the selection survives it.
    connect(m_model, &QAbstractItemModel::modelAboutToBeReset, this,
            [this] { m_selectedBeforeReset = selectedImage(); });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        // A pulled or imported image, once listed, wins over what was selected before.
        if (!m_selectAfterRefresh.isEmpty() && selectImage(m_selectAfterRefresh))
            m_selectAfterRefresh.clear();
        else if (!m_selectedBeforeReset.isEmpty())
            selectImage(m_selectedBeforeReset);
        m_selectedBeforeReset.clear();
        updateSelection();
    });
    connect(m_model, &ImageListModel::failed, this, [this](const ClientError &error) {
        m_banner->showError(tr("Cannot list the images"), error.text(), false);
    });
    connect(m_model, &ImageListModel::refreshed, m_banner, [this] {
        if (m_banner->text().startsWith(tr("Cannot list the images")))
            m_banner->hide();
    });

    m_details->setObjectName(QStringLiteral("imageDetails"));
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_note->setObjectName(QStringLiteral("imagesNote"));
    m_note->setWordWrap(true);
    m_note->hide();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_toolBar);
    layout->addWidget(m_banner);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_details);
    layout->addWidget(m_note);
    updateSelection();
}

void ImagesPage::setCapabilities(const Capabilities &capabilities)
{
    m_model->setBuiltinAvailable(!capabilities.busybox.isEmpty());
    m_note->setVisible(capabilities.busybox.isEmpty());
    m_note->setText(tr("The built-in busybox image is unavailable on this host: install the 'busybox-static' "
                       "package and restart the helper, or pull an image."));
    const bool containers = !capabilities.runtime.isEmpty();
    for (QAction *action : {m_pull, m_import})
        action->setEnabled(containers);
    if (!containers)
        m_note->setText(tr("Images need an OCI runtime on this host: install the 'runc' package."));
    m_note->setVisible(capabilities.busybox.isEmpty() || !containers);
}

int ImagesPage::count() const
{
    return m_model->rowCount();
}

QString ImagesPage::selectedImage() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(ImageListModel::ImageNameRole).toString();
}

bool ImagesPage::selectImage(const QString &name)
{
    const int row = m_model->rowOf(name);
    if (row < 0)
        return false;
    m_view->setCurrentIndex(m_model->index(row, 0));
    m_view->selectionModel()->select(m_model->index(row, 0),
                                     QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    return true;
}

QString ImagesPage::detailsText() const
{
    return m_details->text();
}

void ImagesPage::updateSelection()
{
    const ImageRow *image = m_model->image(selectedImage());
    m_remove->setEnabled(image != nullptr && image->stored);
    m_create->setEnabled(image != nullptr);
    m_runAsVm->setEnabled(image != nullptr);
    m_runBoth->setEnabled(image != nullptr);
    if (!image) {
        m_details->setText(m_model->rowCount() == 0 && m_model->hasLoaded()
                               ? tr("No images yet: Pull one from a registry or Import an archive.")
                               : tr("Select an image to see where it comes from and which containers use it."));
        return;
    }
    QStringList facts;
    facts << QStringLiteral("<b>%1</b>").arg(image->name.toHtmlEscaped());
    if (image->stored) {
        facts << image->digest;
        const QString size = Format::bytes(image->size).replace(QLatin1Char(' '), QChar::Nbsp);
        facts << (image->layers == 1 ? tr("%1 in 1 layer").arg(size)
                                     : tr("%1 in %2 layers").arg(size).arg(image->layers));
    }
    if (image->isBuiltin())
        facts << tr("made by the helper from this host's static busybox when it starts: no download; if "
                    "removed, it is made again when a container needs it");
    facts << (image->usedBy.isEmpty() ? tr("no container uses it")
                                      : tr("used by %1").arg(image->usedBy.join(QStringLiteral(", ")).toHtmlEscaped()));
    m_details->setText(facts.join(QStringLiteral(" · ")));
}

void ImagesPage::adopt(ImageJobDialog *dialog)
{
    connect(dialog, &ImageJobDialog::succeeded, this, [this](const QString &name) {
        if (!name.isEmpty() && !selectImage(name))
            m_selectAfterRefresh = name;
        m_model->refresh(); // ImagesChanged does it too; this covers a helper that did not say so
    });
    dialog->open();
}

PullDialog *ImagesPage::pull()
{
    auto *dialog = new PullDialog(m_client, this);
    adopt(dialog);
    return dialog;
}

ImportDialog *ImagesPage::importArchive()
{
    auto *dialog = new ImportDialog(m_client, this);
    adopt(dialog);
    return dialog;
}

void ImagesPage::removeSelected()
{
    const ImageRow *image = m_model->image(selectedImage());
    if (!image || !image->stored || m_confirmation)
        return;
    const QString name = image->name;
    m_confirmation
        = new QMessageBox(QMessageBox::Warning, tr("Remove Image"),
                          tr("Remove the image %1?").arg(image->isBuiltin() ? name : ImageListModel::label(*image)),
                          QMessageBox::Cancel, this);
    m_confirmation->setObjectName(QStringLiteral("removeImageConfirmation"));
    QString details = tr("Its layers are deleted unless another image or a container still needs them (%1).")
                          .arg(Format::bytes(image->size));
    if (image->isBuiltin())
        details = tr("busybox is the built-in image, made from this host's static busybox: it is made again the "
                     "next time a container needs it.");
    if (!image->usedBy.isEmpty())
        details += QLatin1Char('\n')
            + tr("It is used by %1: the helper will refuse until those containers are deleted.")
                  .arg(image->usedBy.join(QStringLiteral(", ")));
    m_confirmation->setInformativeText(details);
    QPushButton *confirm = m_confirmation->addButton(tr("Remove"), QMessageBox::DestructiveRole);
    confirm->setObjectName(QStringLiteral("confirmRemove"));
    m_confirmation->setDefaultButton(QMessageBox::Cancel);
    m_confirmation->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_confirmation, &QMessageBox::finished, this, [this, confirm, name] {
        const bool confirmed = m_confirmation && m_confirmation->clickedButton() == confirm;
        m_confirmation = nullptr;
        if (confirmed)
            remove(name);
    });
    m_confirmation->open();
}

void ImagesPage::remove(const QString &name)
{
    Log::gui()->info("removing image {}", name.toStdString());
    m_banner->hide();
    QCoro::connect(m_client->removeImage(name), this, [this, name](const Result<bool> &result) {
        if (const auto *error = std::get_if<ClientError>(&result)) {
            Log::gui()->warn("removing image {}: {}: {}", name.toStdString(), error->name.toStdString(),
                             error->message.toStdString());
            QString details = error->message;
            if (error->name == Error::Busy && !error->message.contains(QLatin1String("delete"), Qt::CaseInsensitive))
                details += QLatin1Char('\n') + tr("Delete the containers that use it (see Used by), then remove it.");
            else if (!error->hint.isEmpty())
                details += QLatin1Char('\n') + error->hint;
            m_banner->showError(tr("Cannot remove %1").arg(name), details, false);
            return;
        }
        Q_EMIT statusMessage(tr("Image %1 removed").arg(name));
        m_model->refresh();
    });
}

namespace {
// "docker.io/library/alpine:latest" -> "alpine-vm" (or "alpine-ct"): a name the helper accepts, or a plain one.
QString nameFor(const QString &image, const QString &suffix)
{
    QString base = image.section(QLatin1Char('/'), -1).section(QLatin1Char('@'), 0, 0).section(QLatin1Char(':'), 0, 0);
    base = base.toLower().replace(QRegularExpression(QStringLiteral("[^a-z0-9-]")), QStringLiteral("-"));
    const QString name = base + suffix;
    return instanceNameProblem(name).isEmpty() ? name : QStringLiteral("image") + suffix;
}
} // namespace

void ImagesPage::runSelectedAsVm()
{
    const QString image = selectedImage();
    if (image.isEmpty())
        return;
    m_banner->hide();
    runImage(QStringLiteral("vm"), image, nameFor(image, QStringLiteral("-vm")), 1,
             [this](const QString &name) { Q_EMIT vmCreated(name); });
}

void ImagesPage::runSelectedBothWays()
{
    const QString image = selectedImage();
    if (image.isEmpty())
        return;
    m_banner->hide();
    // One after the other: the VM's create is the slow one, and a refusal of the first stops both.
    runImage(QStringLiteral("container"), image, nameFor(image, QStringLiteral("-ct")), 1,
             [this, image](const QString &container) {
                 runImage(QStringLiteral("vm"), image, nameFor(image, QStringLiteral("-vm")), 1,
                          [this, container](const QString &vm) { Q_EMIT bothWaysCreated(container, vm); });
             });
}

void ImagesPage::runImage(const QString &kind, const QString &image, const QString &base, int attempt,
                          const std::function<void(const QString &)> &done)
{
    const bool vm = kind == QLatin1String("vm");
    const QString name = attempt == 1 ? base : base + QString::number(attempt);
    const QVariantMap spec = vm
        ? QVariantMap {{QStringLiteral("source"), QStringLiteral("image")}, {QStringLiteral("image"), image}}
        : QVariantMap {{QStringLiteral("image"), image}};
    Log::gui()->info("running image {} as the {} {}", image.toStdString(), kind.toStdString(), name.toStdString());
    Q_EMIT statusMessage(vm ? tr("Making the VM %1 from %2…").arg(name, image)
                            : tr("Making the container %1 from %2…").arg(name, image));
    const QString failure = vm ? tr("Cannot run %1 as a VM").arg(image) : tr("Cannot run %1 as a container").arg(image);
    auto creating = vm ? m_client->createVm(name, spec) : m_client->createContainer(name, spec);
    QCoro::connect(std::move(creating), this,
                   [this, kind, image, base, attempt, name, done, failure, vm](const Result<QString> &job) {
                       if (const auto *error = std::get_if<ClientError>(&job)) {
                           // A name taken by another instance: the next free one ("busybox-vm2"), a few times.
                           if (error->name == Error::Exists && attempt < 9)
                               return runImage(kind, image, base, attempt + 1, done);
                           m_banner->showError(failure, error->text(), false);
                           return;
                       }
                       QCoro::connect(m_client->waitForJob(std::get<QString>(job)), this,
                                      [this, image, name, done, failure, vm](const Result<QString> &finished) {
                                          if (const auto *error = std::get_if<ClientError>(&finished)) {
                                              m_banner->showError(failure, error->text(), false);
                                              return;
                                          }
                                          Q_EMIT statusMessage(
                                              vm ? tr("The VM %1 boots %2 with this host's kernel").arg(name, image)
                                                 : tr("The container %1 runs %2").arg(name, image));
                                          done(name);
                                          m_model->refresh();
                                      });
                   });
}

} // namespace Hamlet
