// New VM's Network step (issue 16), clicked through the real window against the real helper on the
// test bus (its own bridge, NAT rules and dnsmasq; embedded libvirt with QEMU under TCG; nothing
// leaves the machine): NAT, none and user are offered, user has no ports, and a tiny VM made with
// a published port is reached through it once its console starts busybox httpd. Screenshots go to
// $HAMLET_TEST_OUTPUT.
#include "clienttest.h"
#include "imagetesthelpers.h"
#include "instanceactions.h"
#include "instancelistmodel.h"
#include "namefield.h"
#include "networkpage.h"
#include "testsystem.h"
#include "vmconsole.h"
#include "vmwizard.h"
#include "windowontestsystem.h"

#include <QAbstractButton>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTcpServer>
#include <QTest>
#include <QToolBar>

#include <unistd.h>

#include <memory>

using namespace Hamlet;
using Hamlet::Test::outputPath;
using Hamlet::Test::TestSystem;
using Hamlet::Test::typeInto;
using Hamlet::Test::unique;

namespace {
QByteArray fetch(const QString &url)
{
    QProcess process;
    process.start(
        QStringLiteral("timeout"),
        {QStringLiteral("5"), QStringLiteral("busybox"), QStringLiteral("wget"), QStringLiteral("-qO-"), url});
    process.waitForFinished(10000);
    return process.readAllStandardOutput();
}
} // namespace

class TestVmNetworkGui : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;
    std::unique_ptr<MainWindow> m_window;

    // New VM (tiny), clicked through to its Network step.
    VmWizard *wizardAtNetwork(const QString &name)
    {
        QTest::mouseClick(m_window->findChild<QToolBar *>(QStringLiteral("actionsToolBar"))
                              ->widgetForAction(m_window->actions()->newVm()),
                          Qt::LeftButton);
        VmWizard *wizard = nullptr;
        for (VmWizard *candidate : m_window->findChildren<VmWizard *>())
            if (candidate->isVisible())
                wizard = candidate;
        if (!wizard || !QTest::qWaitForWindowExposed(wizard) || wizard->source() != VmWizard::Tiny)
            return nullptr;
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
        typeInto(wizard->nameField()->lineEdit(), name);
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
        return wizard->currentPage() == wizard->networkPage() ? wizard : nullptr;
    }

    const InstanceListModel::Instance *instance(const QString &name) const { return m_window->model()->instance(name); }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY2(QGuiApplication::platformName() == QStringLiteral("xcb"), "GUI tests run on Xvfb (xcb)");
        const QString started = startWindowOnTestSystem(m_system, m_client, m_window);
        QVERIFY2(started.isEmpty(), qPrintable(started));
    }

    void cleanup()
    {
        if (QTest::currentTestFailed())
            qWarning("helper log (end):\n%s", qPrintable(m_system.helperLog().right(4000)));
    }

    void cleanupTestCase()
    {
        m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("delete"), unique("vweb")});
        m_window.reset();
    }

    void networkStep_offersNatNoneAndUser_andUserPublishesNothing()
    {
        VmWizard *wizard = wizardAtNetwork(unique("vnone"));
        QVERIFY(wizard);
        NetworkPage *network = wizard->networkPage();
        for (const QString &mode : {QStringLiteral("nat"), QStringLiteral("none"), QStringLiteral("user")})
            QVERIFY2(network->modeButton(mode), qPrintable(mode));
        QVERIFY(!network->modeButton(QStringLiteral("host"))); // containers only
        QVERIFY(network->modeButton(QStringLiteral("nat"))->isChecked());
        auto *table = network->findChild<QTableWidget *>(QStringLiteral("ports"));
        QCOMPARE(table->horizontalHeaderItem(NetworkPage::GuestPortColumn)->text(), QStringLiteral("VM port"));
        QTest::mouseClick(network->modeButton(QStringLiteral("user")), Qt::LeftButton);
        QCOMPARE(network->mode(), QStringLiteral("user"));
        QVERIFY(!network->addButton()->isEnabled());
        QString problem;
        const auto spec = wizard->spec(&problem);
        QVERIFY2(spec, qPrintable(problem));
        QCOMPARE(spec->value(QStringLiteral("network")).toString(), QStringLiteral("user"));
        QVERIFY(!spec->contains(QStringLiteral("ports")));
        // A bad port blocks Next, as for a container.
        QTest::mouseClick(network->modeButton(QStringLiteral("nat")), Qt::LeftButton);
        QTest::mouseClick(network->addButton(), Qt::LeftButton);
        typeInto(network->guestPortEdit(0), QStringLiteral("70000"));
        QVERIFY2(network->problemText().contains(QStringLiteral("VM port '70000'")),
                 qPrintable(network->problemText()));
        QVERIFY(!wizard->button(QWizard::NextButton)->isEnabled());
        wizard->reject();
    }

    // Acceptance 2 from the window: the host reaches the VM's server through the published port.
    void natVmWithAPublishedPort_isReachedThroughIt()
    {
        uint hostPort = 0;
        {
            QTcpServer probe; // a port the kernel says is free, released for the VM
            QVERIFY(probe.listen(QHostAddress::Any, 0));
            hostPort = probe.serverPort();
        }
        const QString name = unique("vweb");
        VmWizard *wizard = wizardAtNetwork(name);
        QVERIFY(wizard);
        NetworkPage *network = wizard->networkPage();
        QTest::mouseClick(network->addButton(), Qt::LeftButton);
        typeInto(network->hostPortEdit(0), QString::number(hostPort));
        typeInto(network->guestPortEdit(0), QStringLiteral("8080"));
        QVERIFY2(network->problemText().isEmpty(), qPrintable(network->problemText()));
        QVERIFY(wizard->grab().save(outputPath(QStringLiteral("vm-network-step.png"))));
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
        QCOMPARE(wizard->currentPage(), wizard->finishPage());
        const QString summary = wizard->finishPage()->findChild<QLabel *>(QStringLiteral("summary"))->text();
        QVERIFY2(summary.contains(QStringLiteral("%1 → 8080").arg(hostPort)), qPrintable(summary));
        QTest::mouseClick(wizard->button(QWizard::FinishButton), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(instance(name) && instance(name)->state == QLatin1String("running"), 90000);

        // The list shows the port (a VM's address once it runs is its reservation).
        const int row = m_window->model()->rowOf(name);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->model()
                                     ->index(row, InstanceListModel::AddressColumn)
                                     .data()
                                     .toString()
                                     .contains(QStringLiteral("%1 → 8080").arg(hostPort)),
                                 10000);
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("vm-network-list.png"))));

        const auto fd = QCoro::waitFor(m_client->openFd(name, QStringLiteral("OpenConsole")));
        QVERIFY(std::holds_alternative<int>(fd));
        const int console = std::get<int>(fd);
        QVERIFY(Hamlet::Test::waitForShell(console, 90000));
        Hamlet::Test::onConsole(console,
                                "mkdir -p /www && echo hello-from-vm > /www/index.html && httpd -p 8080 -h /www");
        ::close(console);
        QTRY_COMPARE_WITH_TIMEOUT(fetch(QStringLiteral("http://127.0.0.1:%1/").arg(hostPort)).trimmed(),
                                  QByteArray("hello-from-vm"), 30000);
    }
};

QTEST_MAIN(TestVmNetworkGui)
#include "tst_vmnetworkgui.moc"
