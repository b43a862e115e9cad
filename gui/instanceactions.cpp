#include "instanceactions.h"

#include "instancefeed.h"
#include "instancelistmodel.h"
#include "kindicons.h"
#include "logging.h"

#include <QAction>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QStyle>
#include <QToolBar>
#include <QWidget>

namespace Hamlet {

namespace {
struct VerbInfo {
    const char *text;
    const char *shortcut;
    QStyle::StandardPixmap icon;
    const char *busy; // "Stopping %1…"
    const char *done; // "%1 stopped"
};
const VerbInfo Verbs[] = {
    {QT_TRANSLATE_NOOP("InstanceActions", "&Start"), "Ctrl+Return", QStyle::SP_MediaPlay,
     QT_TRANSLATE_NOOP("InstanceActions", "Starting %1…"), QT_TRANSLATE_NOOP("InstanceActions", "%1 started")},
    {QT_TRANSLATE_NOOP("InstanceActions", "S&top"), "Ctrl+.", QStyle::SP_MediaStop,
     QT_TRANSLATE_NOOP("InstanceActions", "Stopping %1…"), QT_TRANSLATE_NOOP("InstanceActions", "%1 stopped")},
    {QT_TRANSLATE_NOOP("InstanceActions", "&Force Stop"), "Ctrl+Shift+.", QStyle::SP_BrowserStop,
     QT_TRANSLATE_NOOP("InstanceActions", "Killing %1…"), QT_TRANSLATE_NOOP("InstanceActions", "%1 killed")},
    {QT_TRANSLATE_NOOP("InstanceActions", "&Pause"), "Ctrl+P", QStyle::SP_MediaPause,
     QT_TRANSLATE_NOOP("InstanceActions", "Pausing %1…"), QT_TRANSLATE_NOOP("InstanceActions", "%1 paused")},
    {QT_TRANSLATE_NOOP("InstanceActions", "Res&ume"), "Ctrl+Shift+P", QStyle::SP_MediaSeekForward,
     QT_TRANSLATE_NOOP("InstanceActions", "Resuming %1…"), QT_TRANSLATE_NOOP("InstanceActions", "%1 resumed")},
    {QT_TRANSLATE_NOOP("InstanceActions", "&Restart"), "Ctrl+Shift+R", QStyle::SP_BrowserReload,
     QT_TRANSLATE_NOOP("InstanceActions", "Restarting %1…"), QT_TRANSLATE_NOOP("InstanceActions", "%1 restarted")},
    {QT_TRANSLATE_NOOP("InstanceActions", "&Delete"), "Del", QStyle::SP_TrashIcon,
     QT_TRANSLATE_NOOP("InstanceActions", "Deleting %1…"), QT_TRANSLATE_NOOP("InstanceActions", "%1 deleted")},
};
} // namespace

InstanceActions::InstanceActions(HelperClient *client, InstanceListModel *model, InstanceFeed *feed, QWidget *window)
    : QObject(window)
    , m_client(client)
    , m_model(model)
    , m_feed(feed)
    , m_window(window)
{
    m_newContainer = new QAction(KindIcons::apartment(), tr("New &Container…"), this);
    m_newContainer->setShortcut(QKeySequence::New);
    m_newContainer->setToolTip(tr("Create a container (apartment) from the built-in busybox image (%1)")
                                   .arg(m_newContainer->shortcut().toString(QKeySequence::NativeText)));
    m_newContainer->setIconText(tr("+ Container"));
    connect(m_newContainer, &QAction::triggered, this, &InstanceActions::newContainerRequested);
    m_newVm = new QAction(KindIcons::house(), tr("New &VM…"), this);
    m_newVm->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+N")));
    m_newVm->setToolTip(
        tr("Create a virtual machine (house) (%1)").arg(m_newVm->shortcut().toString(QKeySequence::NativeText)));
    m_newVm->setIconText(tr("+ VM"));
    connect(m_newVm, &QAction::triggered, this, &InstanceActions::newVmRequested);

    for (int verb = Start; verb <= Delete; ++verb) {
        const VerbInfo &info = Verbs[verb];
        auto *action = new QAction(window->style()->standardIcon(info.icon), tr(info.text), this);
        action->setShortcut(QKeySequence(QString::fromLatin1(info.shortcut)));
        action->setShortcutContext(Qt::WindowShortcut);
        action->setToolTip(QStringLiteral("%1 (%2)").arg(action->text().remove(QLatin1Char('&')),
                                                         action->shortcut().toString(QKeySequence::NativeText)));
        action->setObjectName(QStringLiteral("action")
                              + QString::fromLatin1(info.text).remove(QLatin1Char('&')).remove(QLatin1Char(' ')));
        connect(action, &QAction::triggered, this, [this, verb] { trigger(static_cast<Verb>(verb)); });
        m_verbs << action;
    }
    connect(m_model, &InstanceListModel::stateChanged, this, &InstanceActions::updateEnabled);
    connect(m_model, &InstanceListModel::modelReset, this, &InstanceActions::updateEnabled);
    updateEnabled();
}

void InstanceActions::addTo(QToolBar *toolBar) const
{
    toolBar->addAction(m_newContainer);
    toolBar->addAction(m_newVm);
    toolBar->addSeparator();
    for (QAction *action : m_verbs)
        toolBar->addAction(action);
}

void InstanceActions::addTo(QMenu *menu) const
{
    menu->addAction(m_newContainer);
    menu->addAction(m_newVm);
    menu->addSeparator();
    for (QAction *action : m_verbs) {
        if (action == m_verbs.at(Delete))
            menu->addSeparator();
        menu->addAction(action);
    }
}

void InstanceActions::setSelection(const QStringList &names)
{
    m_selection = names;
    updateEnabled();
}

void InstanceActions::setConnected(bool connected)
{
    m_connected = connected;
    updateEnabled();
}

bool InstanceActions::applies(Verb verb, const QString &name) const
{
    const auto *instance = m_model->instance(name);
    if (!instance || m_busy.contains(name))
        return false;
    const QString &state = instance->state;
    const bool up = state == QLatin1String("running") || state == QLatin1String("paused");
    switch (verb) {
    case Start:
        return state == QLatin1String("stopped") || state == QLatin1String("failed");
    case Stop:
    case ForceStop:
        return up || state == QLatin1String("restarting"); // Stop cancels the pending restart
    case Pause:
    case Restart:
        return state == QLatin1String("running");
    case Resume:
        return state == QLatin1String("paused");
    case Delete:
        return state != QLatin1String("creating");
    }
    return false;
}

void InstanceActions::updateEnabled()
{
    m_newContainer->setEnabled(m_connected);
    m_newVm->setEnabled(m_connected);
    for (int verb = Start; verb <= Delete; ++verb) {
        bool any = false;
        for (const QString &name : std::as_const(m_selection))
            any = any || applies(static_cast<Verb>(verb), name);
        m_verbs.at(verb)->setEnabled(m_connected && any);
    }
}

void InstanceActions::trigger(Verb verb)
{
    QStringList names;
    for (const QString &name : std::as_const(m_selection))
        if (applies(verb, name))
            names << name;
    if (names.isEmpty())
        return;
    if (verb != Delete) {
        run(verb, names);
        return;
    }
    if (m_confirmation)
        return;
    // Window-modal and asynchronous: no nested event loop, the window keeps drawing.
    m_confirmation = new QMessageBox(QMessageBox::Warning, tr("Delete"),
                                     names.size() == 1 ? tr("Delete %1?").arg(names.first())
                                                       : tr("Delete %n instances?", nullptr, names.size()),
                                     QMessageBox::Cancel, m_window);
    m_confirmation->setObjectName(QStringLiteral("deleteConfirmation"));
    m_confirmation->setInformativeText(tr("%1 will be stopped and everything Hamlet made for it removed: its "
                                          "files, disks and settings. This cannot be undone.")
                                           .arg(names.join(QStringLiteral(", "))));
    QPushButton *remove = m_confirmation->addButton(tr("Delete"), QMessageBox::DestructiveRole);
    remove->setObjectName(QStringLiteral("confirmDelete"));
    m_confirmation->setDefaultButton(QMessageBox::Cancel);
    m_confirmation->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_confirmation, &QMessageBox::finished, this, [this, remove, names] {
        const bool confirmed = m_confirmation->clickedButton() == remove;
        m_confirmation = nullptr;
        if (confirmed)
            run(Delete, names);
    });
    m_confirmation->open();
}

void InstanceActions::run(Verb verb, const QStringList &names)
{
    const VerbInfo &info = Verbs[verb];
    for (const QString &name : names) {
        if (verb == Stop || verb == ForceStop || verb == Restart || verb == Delete)
            m_feed->expectStop(name);
        Q_EMIT started(tr(info.busy).arg(name));
        m_busy.insert(name);
        QCoro::Task<Result<bool>> task = [&]() {
            switch (verb) {
            case Stop:
                return m_client->stop(name, false);
            case ForceStop:
                return m_client->stop(name, true);
            case Start:
                return m_client->instanceCall(name, QStringLiteral("Start"));
            case Pause:
                return m_client->instanceCall(name, QStringLiteral("Pause"));
            case Resume:
                return m_client->instanceCall(name, QStringLiteral("Resume"));
            case Restart:
                return m_client->instanceCall(name, QStringLiteral("Restart"));
            case Delete:
                break;
            }
            return m_client->instanceCall(name, QStringLiteral("Delete"));
        }();
        const QString what = QString::fromLatin1(info.text).remove(QLatin1Char('&')).toLower();
        QCoro::connect(std::move(task), this, [this, name, what, verb](const Result<bool> &result) {
            m_busy.remove(name);
            updateEnabled();
            if (const auto *error = std::get_if<ClientError>(&result)) {
                m_feed->cancelExpectedStop(name);
                Log::gui()->warn("{} {} failed: {}", what.toStdString(), name.toStdString(),
                                 error->message.toStdString());
                Q_EMIT failed(tr("Could not %1 %2").arg(what, name), *error);
                return;
            }
            if (verb == Restart)
                m_feed->cancelExpectedStop(name); // it may have restarted without a visible "stopped"
            Q_EMIT finished(tr(Verbs[verb].done).arg(name));
        });
    }
    updateEnabled();
}

} // namespace Hamlet
