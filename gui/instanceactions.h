#pragma once

#include "helperclient.h"

#include <QObject>
#include <QSet>
#include <QStringList>

class QAction;
class QMenu;
class QMessageBox;
class QToolBar;
class QWidget;

namespace Hamlet {

class InstanceFeed;
class InstanceListModel;

// New container, New VM, Start, Stop, Force stop, Pause, Resume, Restart and Delete, with their
// shortcuts, for the toolbar, the menu and the context menu. Each is enabled only when it applies
// to at least one selected instance, and runs on every selected instance it applies to. Delete
// asks first. While a verb runs on an instance no other verb is offered for it (the helper would
// answer Busy). Calls are awaited with QCoro; failures are reported, one per instance, by failed().
class InstanceActions : public QObject
{
    Q_OBJECT
public:
    enum Verb { Start, Stop, ForceStop, Pause, Resume, Restart, Delete };

    InstanceActions(HelperClient *client, InstanceListModel *model, InstanceFeed *feed, QWidget *window);

    QAction *newContainer() const { return m_newContainer; }
    QAction *newVm() const { return m_newVm; }
    QAction *action(Verb verb) const { return m_verbs.at(verb); }
    QList<QAction *> verbActions() const { return m_verbs; }

    void setSelection(const QStringList &names);
    QStringList selection() const { return m_selection; }
    // Enables each action for the selection's current states.
    void updateEnabled();
    void setConnected(bool connected);

    void addTo(QToolBar *toolBar) const;
    void addTo(QMenu *menu) const;
    // The Delete confirmation while it is open (tests click it).
    QMessageBox *pendingConfirmation() const { return m_confirmation; }

Q_SIGNALS:
    void newContainerRequested();
    void newVmRequested();
    void started(const QString &message);
    void failed(const QString &what, const Hamlet::ClientError &error);
    void finished(const QString &message);

private:
    void trigger(Verb verb);
    void run(Verb verb, const QStringList &names);
    bool applies(Verb verb, const QString &name) const;

    HelperClient *m_client;
    InstanceListModel *m_model;
    InstanceFeed *m_feed;
    QWidget *m_window;
    QAction *m_newContainer;
    QAction *m_newVm;
    QList<QAction *> m_verbs;
    QStringList m_selection;
    QMessageBox *m_confirmation = nullptr;
    QSet<QString> m_busy; // instances with a verb in flight
    bool m_connected = false;
};

} // namespace Hamlet
