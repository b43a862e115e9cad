// Issue 5's acceptance, clicked through the real window against the real helper (runc, libvirt)
// on the test bus, drawn on Xvfb. Screenshots go to $HAMLET_TEST_OUTPUT.
#include "containerwizard.h"
#include "desktopnotifier.h"
#include "detailspane.h"
#include "helperclient.h"
#include "instanceactions.h"
#include "instancelistmodel.h"
#include "instanceview.h"
#include "mainwindow.h"
#include "messagebanner.h"
#include "namefield.h"
#include "overviewpage.h"
#include "performancepage.h"
#include "sidebar.h"
#include "testsystem.h"
#include "vmwizard.h"
#include "windowontestsystem.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTest>
#include <QToolBar>

#include <memory>

using namespace Hamlet;
using Hamlet::Test::TestSystem;

namespace {
// Container names are host-wide (cgroups): a suffix keeps concurrent test runs apart.
QString unique(const char *name)
{
    static const QString suffix = QString::number(QCoreApplication::applicationPid() % 100000);
    return QString::fromLatin1(name) + QLatin1Char('-') + suffix;
}

QString outputPath(const QString &name)
{
    const QString dir = qEnvironmentVariable("HAMLET_TEST_OUTPUT", QDir::tempPath());
    QDir().mkpath(dir);
    return dir + QLatin1Char('/') + name;
}

void typeInto(QLineEdit *edit, const QString &text)
{
    edit->setFocus();
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}

QString stateOf(const MainWindow &window, const QString &name)
{
    const auto *instance = window.model()->instance(name);
    return instance ? instance->state : QString();
}

// The state as the list shows it (the State cell's text).
QString shownState(const MainWindow &window, const QString &name)
{
    const int row = window.model()->rowOf(name);
    return row < 0 ? QString()
                   : window.model()->index(row, InstanceListModel::StateColumn).data().toString().section(' ', 0, 0);
}

void clickToolbar(MainWindow &window, QAction *action)
{
    auto *toolBar = window.findChild<QToolBar *>(QStringLiteral("actionsToolBar"));
    QWidget *button = toolBar->widgetForAction(action);
    QVERIFY(button);
    // Offered once the previous verb on the instance is done.
    QTRY_VERIFY2_WITH_TIMEOUT(button->isEnabled(), qPrintable(action->text()), 10000);
    QTest::mouseClick(button, Qt::LeftButton);
}
} // namespace

class TestAcceptance : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;
    std::unique_ptr<MainWindow> m_window;

    // The wizard the last click opened (earlier ones may still await their deferred delete).
    ContainerWizard *openWizard() const
    {
        const auto wizards = m_window->findChildren<ContainerWizard *>();
        for (ContainerWizard *wizard : wizards)
            if (wizard->isVisible())
                return wizard;
        return nullptr;
    }

    // Clicks through New container as a person would; returns the wizard left on its last page.
    ContainerWizard *fillContainerWizard(const QString &name, const QString &command)
    {
        ContainerWizard *wizard = nullptr;
        QTest::mouseClick(m_window->findChild<QToolBar *>(QStringLiteral("actionsToolBar"))
                              ->widgetForAction(m_window->actions()->newContainer()),
                          Qt::LeftButton);
        wizard = openWizard();
        if (!wizard || !QTest::qWaitForWindowExposed(wizard))
            return nullptr;
        typeInto(wizard->nameField()->lineEdit(), name);
        typeInto(wizard->commandEdit(), command);
        if (wizard->ttyBox()->isChecked())
            QTest::mouseClick(wizard->ttyBox(), Qt::LeftButton, {}, QPoint(4, wizard->ttyBox()->height() / 2));
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
        wizard->cpusBox()->setValue(0.5);
        typeInto(wizard->memoryEdit(), QStringLiteral("64 MiB"));
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
        // Network: the default (NAT, nothing published).
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
        return wizard;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY2(QGuiApplication::platformName() == QStringLiteral("xcb"), "GUI tests run on Xvfb (xcb)");
        const QString started = startWindowOnTestSystem(m_system, m_client, m_window);
        QVERIFY2(started.isEmpty(), qPrintable(started));
    }

    // A failure shows what the helper said, so it can be told from a GUI fault.
    void cleanup()
    {
        if (!QTest::currentTestFailed())
            return;
        for (ContainerWizard *wizard : m_window->findChildren<ContainerWizard *>())
            qWarning("wizard: status '%s' error '%s'", qPrintable(wizard->statusText()),
                     qPrintable(wizard->errorText()));
        qWarning("instances shown: %s; status: %s", qPrintable(m_window->model()->names().join(QLatin1Char(' '))),
                 qPrintable(m_window->statusText()));
        const auto listed = m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("list")});
        qWarning("hamletctl list: %s %s", listed.out.constData(), listed.err.constData());
        qWarning("helper log (end):\n%s", qPrintable(m_system.helperLog().right(4000)));
    }

    void cleanupTestCase()
    {
        for (const QString &name : {unique("web1"), unique("dup1"), unique("short1"), unique("busy"), unique("bulk-a"),
                                    unique("bulk-b"), unique("tiny1")})
            m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("delete"), name});
        m_window.reset();
    }

    // 1. New container (busybox, sleep 3600, 0.5 CPU, 64 MiB): running within 5 s of Finish, and
    // its Performance chart gains points every tick.
    void newContainer_appearsRunningAndItsChartMoves()
    {
        ContainerWizard *wizard = fillContainerWizard(unique("web1"), QStringLiteral("sleep 3600"));
        QVERIFY(wizard);
        QVERIFY2(wizard->button(QWizard::FinishButton)->isEnabled(), "Finish is offered on the last page");
        QTest::mouseClick(wizard->button(QWizard::FinishButton), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(shownState(*m_window, unique("web1")), QStringLiteral("running"), 5000);
        // Finish lands on the new instance's details.
        QTRY_COMPARE_WITH_TIMEOUT(m_window->details()->instance(), unique("web1"), 5000);
        QVERIFY(m_window->details()->isVisible());
        QVERIFY(m_window->details()->header()->text().contains(QStringLiteral("running")));
        QCOMPARE(m_window->sidebar()->count(Sidebar::Containers), 1);

        m_window->details()->showTab(DetailsPane::PerformanceTab);
        PerformancePage *performance = m_window->details()->performance();
        QTRY_VERIFY_WITH_TIMEOUT(performance->cpuPointCount() >= 2, 6000);
        const int before = performance->cpuPointCount();
        QTRY_VERIFY_WITH_TIMEOUT(performance->cpuPointCount() > before, 3000);
        QTRY_VERIFY_WITH_TIMEOUT(performance->cpuPointCount() > before + 1, 3000);
        QCOMPARE(performance->cpuLimitLine(), 50.0);
        QCOMPARE(performance->memoryLimitLine(), 64.0);
        QVERIFY(m_window->details()->grab().save(outputPath(QStringLiteral("performance-web1.png"))));

        m_window->details()->showTab(DetailsPane::OverviewTab);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->details()->overview()->text().contains(QStringLiteral("Namespaces")), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(
            m_window->details()->overview()->text().contains(QStringLiteral("Process limit in force")), 5000);
        const QString overview = m_window->details()->overview()->text();
        QVERIFY2(overview.contains(QStringLiteral("sleep 3600")), qPrintable(overview));
        // A user namespace of its own by default (issue 17): said plainly, with the host uid of its root.
        QVERIFY2(overview.contains(QStringLiteral("isolated — root here is uid ")), qPrintable(overview));
        QVERIFY2(!overview.contains(QStringLiteral("root in this container is root on the host")),
                 qPrintable(overview));
        // One process limit, wherever it is shown: the Overview's limit, the cgroup's in force, the
        // Performance page's.
        const QRegularExpression overviewLimit(QStringLiteral("Processes: at most (\\d+)"));
        const QRegularExpression inForce(QStringLiteral("Process limit in force: (\\d+)"));
        const QString limit = overviewLimit.match(overview).captured(1);
        QVERIFY2(!limit.isEmpty(), qPrintable(overview));
        QCOMPARE(inForce.match(overview).captured(1), limit);
        m_window->details()->showTab(DetailsPane::PerformanceTab);
        QTRY_VERIFY2_WITH_TIMEOUT(performance->summaryLabel()->text().contains(QStringLiteral("of at most ") + limit),
                                  qPrintable(performance->summaryLabel()->text()), 5000);
        m_window->details()->showTab(DetailsPane::OverviewTab);
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("mainwindow-container.png"))));
    }

    // 2. New VM (tiny): a running house appears, with a moving CPU chart.
    void newTinyVm_appearsRunningWithAMovingCpuChart()
    {
        QTest::mouseClick(m_window->findChild<QToolBar *>(QStringLiteral("actionsToolBar"))
                              ->widgetForAction(m_window->actions()->newVm()),
                          Qt::LeftButton);
        VmWizard *wizard = nullptr;
        for (VmWizard *candidate : m_window->findChildren<VmWizard *>())
            if (candidate->isVisible())
                wizard = candidate;
        QVERIFY(wizard);
        QVERIFY(QTest::qWaitForWindowExposed(wizard));
        QCOMPARE(wizard->source(), VmWizard::Tiny);
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
        typeInto(wizard->nameField()->lineEdit(), unique("tiny1"));
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton); // Network: NAT, no port
        QTest::mouseClick(wizard->button(QWizard::FinishButton), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(shownState(*m_window, unique("tiny1")), QStringLiteral("running"), 60000);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->details()->instance(), unique("tiny1"), 5000);
        QCOMPARE(m_window->sidebar()->count(Sidebar::Vms), 1);
        // The sidebar narrows the list to houses, and back.
        m_window->sidebar()->select(Sidebar::Vms);
        QCOMPARE(m_window->instanceView()->model()->rowCount(), 1);
        QCOMPARE(m_window->instanceView()->model()->index(0, 0).data(InstanceListModel::KindRole).toString(),
                 QStringLiteral("vm"));
        m_window->sidebar()->select(Sidebar::All);
        QCOMPARE(m_window->instanceView()->model()->rowCount(), m_window->model()->rowCount());
        QVERIFY(m_window->showInstance(unique("tiny1")));
        m_window->details()->showTab(DetailsPane::PerformanceTab);
        PerformancePage *performance = m_window->details()->performance();
        QTRY_VERIFY_WITH_TIMEOUT(performance->cpuPointCount() >= 2, 10000);
        const int before = performance->cpuPointCount();
        QTRY_VERIFY_WITH_TIMEOUT(performance->cpuPointCount() > before, 3000);
        m_window->details()->showTab(DetailsPane::OverviewTab);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->details()->overview()->text().contains(QStringLiteral("Accelerator")),
                                 10000);
        // Every fact is readable: none left as a raw D-Bus signature like "(av)".
        QVERIFY2(!m_window->details()->overview()->text().contains(QStringLiteral("(a")),
                 qPrintable(m_window->details()->overview()->text()));
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("mainwindow-container-and-vm.png"))));
    }

    // 3. Stop, Start, Pause, Resume and Delete from the toolbar change the state shown; Delete asks.
    void toolbarActions_changeTheStateShown()
    {
        QVERIFY(m_window->showInstance(unique("web1")));
        InstanceActions *actions = m_window->actions();
        QVERIFY(!actions->action(InstanceActions::Start)->isEnabled());
        QVERIFY(!actions->action(InstanceActions::Resume)->isEnabled());

        clickToolbar(*m_window, actions->action(InstanceActions::Pause));
        QTRY_COMPARE_WITH_TIMEOUT(shownState(*m_window, unique("web1")), QStringLiteral("paused"), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(actions->action(InstanceActions::Resume)->isEnabled(), 5000);
        QVERIFY(!actions->action(InstanceActions::Pause)->isEnabled());
        clickToolbar(*m_window, actions->action(InstanceActions::Resume));
        QTRY_COMPARE_WITH_TIMEOUT(shownState(*m_window, unique("web1")), QStringLiteral("running"), 5000);

        clickToolbar(*m_window, actions->action(InstanceActions::Stop));
        QTRY_COMPARE_WITH_TIMEOUT(shownState(*m_window, unique("web1")), QStringLiteral("stopped"), 15000);
        QTRY_VERIFY_WITH_TIMEOUT(actions->action(InstanceActions::Start)->isEnabled(), 10000);
        QVERIFY(!actions->action(InstanceActions::Stop)->isEnabled());
        // Stopping on request is no surprise: no notification.
        QVERIFY2(!m_window->notifier()->lastMessage().contains(unique("web1")),
                 qPrintable(m_window->notifier()->lastMessage()));
        clickToolbar(*m_window, actions->action(InstanceActions::Start));
        QTRY_COMPARE_WITH_TIMEOUT(shownState(*m_window, unique("web1")), QStringLiteral("running"), 5000);

        // Restart: running again afterwards, and no "stopped on its own".
        clickToolbar(*m_window, actions->action(InstanceActions::Restart));
        QTRY_VERIFY_WITH_TIMEOUT(!actions->action(InstanceActions::Restart)->isEnabled(), 2000);
        QTRY_VERIFY_WITH_TIMEOUT(actions->action(InstanceActions::Restart)->isEnabled(), 20000);
        QCOMPARE(shownState(*m_window, unique("web1")), QStringLiteral("running"));
        // Force stop: killed at once.
        QElapsedTimer killing;
        killing.start();
        clickToolbar(*m_window, actions->action(InstanceActions::ForceStop));
        QTRY_COMPARE_WITH_TIMEOUT(shownState(*m_window, unique("web1")), QStringLiteral("stopped"), 5000);
        QVERIFY2(killing.elapsed() < 5000, "Force stop does not wait for the process");
        QVERIFY2(!m_window->notifier()->lastMessage().contains(unique("web1")),
                 qPrintable(m_window->notifier()->lastMessage()));

        clickToolbar(*m_window, actions->action(InstanceActions::Delete));
        QTRY_VERIFY_WITH_TIMEOUT(actions->pendingConfirmation() && actions->pendingConfirmation()->isVisible(), 3000);
        QVERIFY(actions->pendingConfirmation()->text().contains(unique("web1")));
        QTest::qWait(300);
        QCOMPARE(stateOf(*m_window, unique("web1")), QStringLiteral("stopped")); // nothing before the answer
        auto *confirm = actions->pendingConfirmation()->findChild<QPushButton *>(QStringLiteral("confirmDelete"));
        QVERIFY(confirm);
        QTest::mouseClick(confirm, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->rowOf(unique("web1")), -1, 15000);
        QCOMPARE(m_window->sidebar()->count(Sidebar::Containers), 0);
    }

    // An instance that stops by itself is reported with a desktop notification.
    void instanceStoppingOnItsOwn_isNotified()
    {
        ContainerWizard *wizard = fillContainerWizard(unique("short1"), QStringLiteral("sleep 2"));
        QVERIFY(wizard);
        QSignalSpy notified(m_window->notifier(), &DesktopNotifier::notified);
        QTest::mouseClick(wizard->button(QWizard::FinishButton), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(*m_window, unique("short1")), QStringLiteral("running"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(*m_window, unique("short1")), QStringLiteral("stopped"), 15000);
        QTRY_VERIFY_WITH_TIMEOUT(!notified.isEmpty(), 3000);
        QVERIFY2(notified.last().at(0).toString().contains(unique("short1")),
                 qPrintable(notified.last().at(0).toString()));
        QVERIFY2(notified.last().at(1).toString().contains(QStringLiteral("exit code 0")),
                 qPrintable(notified.last().at(1).toString()));
    }

    // 4. A name the helper would refuse is flagged before Finish; the helper's Exists is shown.
    void badNameFlagged_andHelperErrorShown()
    {
        // The wizard deletes itself once done.
        QPointer<ContainerWizard> first = fillContainerWizard(unique("dup1"), QStringLiteral("sleep 3600"));
        QVERIFY(first);
        QTest::mouseClick(first->button(QWizard::FinishButton), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(*m_window, unique("dup1")), QStringLiteral("running"), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!first || !first->isVisible(), 3000);

        QTest::mouseClick(m_window->findChild<QToolBar *>(QStringLiteral("actionsToolBar"))
                              ->widgetForAction(m_window->actions()->newContainer()),
                          Qt::LeftButton);
        ContainerWizard *wizard = openWizard();
        QVERIFY(wizard);
        QVERIFY(QTest::qWaitForWindowExposed(wizard));
        typeInto(wizard->nameField()->lineEdit(), QStringLiteral("my container"));
        auto *problem = wizard->findChild<QLabel *>(QStringLiteral("nameProblem"));
        QVERIFY(problem->isVisible() && !problem->text().isEmpty());
        QVERIFY(!wizard->button(QWizard::NextButton)->isEnabled());
        QVERIFY(wizard->grab().save(outputPath(QStringLiteral("wizard-bad-name.png"))));

        typeInto(wizard->nameField()->lineEdit(), unique("dup1"));
        typeInto(wizard->commandEdit(), QStringLiteral("sleep 3600"));
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton); // limits
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton); // network
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton); // ready
        QTest::mouseClick(wizard->button(QWizard::FinishButton), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!wizard->errorText().isEmpty(), 5000);
        QVERIFY2(wizard->errorText().contains(QStringLiteral("exists")), qPrintable(wizard->errorText()));
        QVERIFY2(wizard->errorText().contains(unique("dup1")), qPrintable(wizard->errorText()));
        QVERIFY(wizard->isVisible()); // still open: Back, change the name, Finish again
        QVERIFY(wizard->button(QWizard::BackButton)->isEnabled());
        QVERIFY(wizard->grab().save(outputPath(QStringLiteral("wizard-exists.png"))));
        wizard->reject();
    }

    // Several selected instances: one shortcut acts on each, one confirmation deletes them all.
    void bulkActions_applyToEverySelectedInstanceByShortcut()
    {
        for (const char *name : {"bulk-a", "bulk-b"}) {
            ContainerWizard *wizard = fillContainerWizard(unique(name), QStringLiteral("sleep 3600"));
            QVERIFY(wizard);
            QTest::mouseClick(wizard->button(QWizard::FinishButton), Qt::LeftButton);
            QTRY_COMPARE_WITH_TIMEOUT(stateOf(*m_window, unique(name)), QStringLiteral("running"), 5000);
        }
        InstanceView *view = m_window->instanceView();
        QVERIFY(m_window->showInstance(unique("bulk-a")));
        const QModelIndex second = view->model()
                                       ->match(view->model()->index(0, 0), InstanceListModel::NameRole,
                                               unique("bulk-b"), 1, Qt::MatchExactly)
                                       .value(0);
        QVERIFY(second.isValid());
        QTest::mouseClick(view->viewport(), Qt::LeftButton, Qt::ControlModifier, view->visualRect(second).center());
        QCOMPARE(view->selectedNames().size(), 2);
        QVERIFY(view->selectedNames().contains(unique("bulk-a")));

        // Shortcuts go to the active window.
        m_window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        view->setFocus();
        QTest::keyClick(view, Qt::Key_P, Qt::ControlModifier);
        QTRY_COMPARE_WITH_TIMEOUT(shownState(*m_window, unique("bulk-a")), QStringLiteral("paused"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(shownState(*m_window, unique("bulk-b")), QStringLiteral("paused"), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->actions()->action(InstanceActions::Resume)->isEnabled(), 5000);
        QTest::keyClick(view, Qt::Key_P, Qt::ControlModifier | Qt::ShiftModifier);
        QTRY_COMPARE_WITH_TIMEOUT(shownState(*m_window, unique("bulk-a")), QStringLiteral("running"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(shownState(*m_window, unique("bulk-b")), QStringLiteral("running"), 5000);

        QTRY_VERIFY_WITH_TIMEOUT(m_window->actions()->action(InstanceActions::Delete)->isEnabled(), 5000);
        QTest::keyClick(view, Qt::Key_Delete);
        InstanceActions *actions = m_window->actions();
        QTRY_VERIFY_WITH_TIMEOUT(actions->pendingConfirmation() && actions->pendingConfirmation()->isVisible(), 3000);
        QVERIFY2(actions->pendingConfirmation()->text().contains(QStringLiteral("2 instances")),
                 qPrintable(actions->pendingConfirmation()->text()));
        QTest::mouseClick(actions->pendingConfirmation()->findChild<QPushButton *>(QStringLiteral("confirmDelete")),
                          Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->rowOf(unique("bulk-a")), -1, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->rowOf(unique("bulk-b")), -1, 15000);
    }

    // 5. Screenshots of the window with instances running, one of them busy, and of its charts.
    void screenshots_ofRunningInstancesAndTheirCharts()
    {
        ContainerWizard *wizard = fillContainerWizard(unique("busy"), QStringLiteral("sh -c 'while :; do :; done'"));
        QVERIFY(wizard);
        wizard->cpusBox()->setValue(0.25); // a quarter of a core: the machine is shared
        QTest::mouseClick(wizard->button(QWizard::FinishButton), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(*m_window, unique("busy")), QStringLiteral("running"), 5000);
        QVERIFY(m_window->showInstance(unique("busy")));
        m_window->details()->showTab(DetailsPane::PerformanceTab);
        PerformancePage *performance = m_window->details()->performance();
        QTRY_VERIFY_WITH_TIMEOUT(performance->cpuPointCount() >= 12, 20000);
        // It works up to its limit, and the list shows it.
        const int row = m_window->model()->rowOf(unique("busy"));
        QTRY_VERIFY_WITH_TIMEOUT(
            m_window->model()->index(row, 0).data(InstanceListModel::CpuPercentRole).toDouble() > 10.0, 5000);
        QCOMPARE(performance->cpuLimitLine(), 25.0);
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("mainwindow-running.png"))));
        QVERIFY(m_window->details()->grab().save(outputPath(QStringLiteral("performance.png"))));
        const auto removed = m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("delete"), unique("busy")});
        QVERIFY2(removed.exitCode == 0, removed.err.constData());
        QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->rowOf(unique("busy")), -1, 10000);
    }

    // 6. With the helper stopped the window says so and offers Retry; nothing freezes.
    void helperStopped_windowSaysSoAndRecovers()
    {
        m_system.stopHelper();
        QTRY_VERIFY_WITH_TIMEOUT(
            m_window->banner()->isVisible()
                && m_window->banner()->text().contains(QStringLiteral("Cannot reach the Hamlet helper")),
            5000);
        QVERIFY(!m_window->actions()->newContainer()->isEnabled());
        auto *retry = m_window->banner()->findChild<QPushButton *>(QStringLiteral("retry"));
        QVERIFY(retry && retry->isVisible());
        QSignalSpy refreshed(m_window.get(), &MainWindow::refreshed);
        QElapsedTimer responsive;
        responsive.start();
        QTest::mouseClick(retry, Qt::LeftButton);
        QVERIFY2(responsive.elapsed() < 500, "Retry does not block the window");
        QTRY_COMPARE_WITH_TIMEOUT(refreshed.size(), 1, 10000);
        QVERIFY(m_window->banner()->isVisible());
        QVERIFY2(m_window->statusText().startsWith(QStringLiteral("Not connected")),
                 qPrintable(m_window->statusText()));
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("mainwindow-helper-stopped.png"))));

        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        QTRY_VERIFY_WITH_TIMEOUT(!m_window->banner()->isVisible(), 10000);
        QVERIFY(m_window->actions()->newContainer()->isEnabled());
        // The instance made before is found again, with its numbers moving.
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(*m_window, unique("dup1")), QStringLiteral("running"), 10000);
    }
};

QTEST_MAIN(TestAcceptance)
#include "tst_acceptance.moc"
