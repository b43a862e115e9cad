// Issue 16's GUI half, clicked through the real window against the real helper on the test bus
// (its own bridge and NAT rules; nothing leaves the machine): the Network step creates a NAT
// container with a published port; the list and the Overview show its address and the port as a
// link that opens the page; the network sparkline and chart move while the test downloads from
// the container's busybox httpd. The helper's refusal of a held port is shown in the wizard.
// Screenshots go to $HAMLET_TEST_OUTPUT.
#include "addressdelegate.h"
#include "containerwizard.h"
#include "detailspane.h"
#include "imagetesthelpers.h"
#include "instanceactions.h"
#include "instancelistmodel.h"
#include "instanceview.h"
#include "namefield.h"
#include "networkchart.h"
#include "networkpage.h"
#include "overviewpage.h"
#include "performancepage.h"
#include "testsystem.h"
#include "windowontestsystem.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QDesktopServices>
#include <QDir>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>
#include <QToolBar>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

using namespace Hamlet;
using Hamlet::Test::outputPath;
using Hamlet::Test::TestSystem;
using Hamlet::Test::typeInto;
using Hamlet::Test::unique;

namespace {
// A TCP listener on a port the kernel picks: held while the object lives.
struct HeldPort {
    int fd = -1;
    uint port = 0;
    HeldPort()
    {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_ANY);
        socklen_t length = sizeof address;
        if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0 && ::listen(fd, 1) == 0
            && ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0)
            port = ntohs(address.sin_port);
    }
    ~HeldPort() { release(); }
    void release()
    {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
};

// A page, a 4 MiB file for the traffic counters, and busybox httpd in the foreground.
const QString WebCommand
    = QStringLiteral("sh -c 'mkdir -p /www && echo hello-from-web > /www/index.html && "
                     "dd if=/dev/zero of=/www/big bs=1024 count=4096 2>/dev/null && exec httpd -f -p 80 -h /www'");

// Fetches a URL from the host (busybox wget; no -T: busybox 1.35's wget crashes with it, so
// timeout(1) bounds the wait).
QByteArray fetch(const QString &url, const QString &to = QStringLiteral("-"))
{
    QProcess process;
    process.start(
        QStringLiteral("timeout"),
        {QStringLiteral("5"), QStringLiteral("busybox"), QStringLiteral("wget"), QStringLiteral("-qO"), to, url});
    process.waitForFinished(10000);
    return process.readAllStandardOutput();
}
} // namespace

// Where QDesktopServices would send a link (it is the desktop's browser otherwise): Qt's own
// hook for it, so the test sees what a click opens and then opens it itself.
class LinkCatcher : public QObject
{
    Q_OBJECT
public:
    QList<QUrl> opened;
public Q_SLOTS:
    void open(const QUrl &url) { opened << url; }
};

class TestNetwork : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;
    std::unique_ptr<MainWindow> m_window;
    LinkCatcher m_links;
    uint m_webPort = 0;

    ContainerWizard *openWizard() const
    {
        for (ContainerWizard *wizard : m_window->findChildren<ContainerWizard *>())
            if (wizard->isVisible())
                return wizard;
        return nullptr;
    }

    // New container, clicked through to the Network step with one published port hostPort -> 80.
    ContainerWizard *wizardWithPort(const QString &name, uint hostPort)
    {
        QTest::mouseClick(m_window->findChild<QToolBar *>(QStringLiteral("actionsToolBar"))
                              ->widgetForAction(m_window->actions()->newContainer()),
                          Qt::LeftButton);
        ContainerWizard *wizard = openWizard();
        if (!wizard || !QTest::qWaitForWindowExposed(wizard))
            return nullptr;
        typeInto(wizard->nameField()->lineEdit(), name);
        typeInto(wizard->commandEdit(), WebCommand);
        if (wizard->ttyBox()->isChecked())
            QTest::mouseClick(wizard->ttyBox(), Qt::LeftButton, {}, QPoint(4, wizard->ttyBox()->height() / 2));
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
        typeInto(wizard->memoryEdit(), QStringLiteral("64 MiB"));
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
        NetworkPage *network = wizard->networkPage();
        if (wizard->currentPage() != network || !network->modeButton(QStringLiteral("nat"))->isChecked())
            return nullptr;
        QTest::mouseClick(network->addButton(), Qt::LeftButton);
        typeInto(network->hostPortEdit(0), QString::number(hostPort));
        typeInto(network->guestPortEdit(0), QStringLiteral("80"));
        return wizard;
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
        QDesktopServices::setUrlHandler(QStringLiteral("http"), &m_links, "open");
    }

    void cleanup()
    {
        if (!QTest::currentTestFailed())
            return;
        for (ContainerWizard *wizard : m_window->findChildren<ContainerWizard *>())
            qWarning("wizard: status '%s' error '%s'", qPrintable(wizard->statusText()),
                     qPrintable(wizard->errorText()));
        qWarning("helper log (end):\n%s", qPrintable(m_system.helperLog().right(4000)));
    }

    void cleanupTestCase()
    {
        QDesktopServices::unsetUrlHandler(QStringLiteral("http"));
        for (const QString &name : {unique("web"), unique("held"), unique("quiet")})
            m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("delete"), name});
        m_window.reset();
    }

    void portHeldByAnotherProgram_isRefusedInTheWizardAndNothingIsMade()
    {
        HeldPort held;
        QVERIFY(held.port > 0);
        ContainerWizard *wizard = wizardWithPort(unique("held"), held.port);
        QVERIFY(wizard);
        NetworkPage *network = wizard->networkPage();
        // The local bind says so at once, as a hint: Next stays open, the helper decides.
        QVERIFY2(network->hintText().contains(QStringLiteral("seems taken")), qPrintable(network->hintText()));
        QVERIFY(wizard->button(QWizard::NextButton)->isEnabled());
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
        QCOMPARE(wizard->currentPage(), wizard->finishPage());
        QTest::mouseClick(wizard->button(QWizard::FinishButton), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!wizard->errorText().isEmpty(), 15000);
        QVERIFY2(wizard->errorText().contains(QString::number(held.port)), qPrintable(wizard->errorText()));
        QVERIFY(wizard->errorText().contains(QStringLiteral("Go Back")));
        QVERIFY(wizard->grab().save(outputPath(QStringLiteral("network-wizard-refused.png"))));
        // Nothing made: not in the list, not known to the helper.
        QVERIFY(!instance(unique("held")));
        const auto listed = m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("list")});
        QVERIFY(!listed.out.contains(unique("held").toUtf8()));
        // Back on the Network step the refusal stands beside the ports, until they change.
        QTest::mouseClick(wizard->button(QWizard::BackButton), Qt::LeftButton);
        QCOMPARE(wizard->currentPage(), network);
        auto *refusal = network->findChild<QLabel *>(QStringLiteral("portRefusal"));
        QVERIFY(refusal->isVisible());
        QVERIFY(refusal->text().contains(QString::number(held.port)));
        QVERIFY(network->grab().save(outputPath(QStringLiteral("network-page-refused.png"))));
        typeInto(network->hostPortEdit(0), QString::number(held.port + 1));
        QVERIFY(!refusal->isVisible());
        wizard->reject();
    }

    void natContainerWithAPublishedPort_showsAddressAndAPortLinkThatOpens()
    {
        {
            HeldPort probe; // a port the kernel says is free, released for the container
            m_webPort = probe.port;
        }
        QVERIFY(m_webPort > 0);
        const QString name = unique("web");
        ContainerWizard *wizard = wizardWithPort(name, m_webPort);
        QVERIFY(wizard);
        QVERIFY2(wizard->networkPage()->problemText().isEmpty(), qPrintable(wizard->networkPage()->problemText()));
        QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
        QVERIFY(wizard->finishPage()
                    ->findChild<QLabel *>(QStringLiteral("summary"))
                    ->text()
                    .contains(QStringLiteral("%1 → 80").arg(m_webPort)));
        QTest::mouseClick(wizard->button(QWizard::FinishButton), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(instance(name) && instance(name)->state == QLatin1String("running"), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(instance(name)->addresses && !instance(name)->addresses->isEmpty(), 10000);
        const QString address = instance(name)->addresses->constFirst();
        const QString subnet = m_system.networkSubnet();
        QVERIFY2(address.startsWith(subnet.section(QLatin1Char('.'), 0, 2) + QLatin1Char('.')),
                 qPrintable(address + QLatin1String(" not in ") + subnet));

        // The list: address and port in the Address column.
        const int row = m_window->model()->rowOf(name);
        const QString cell = m_window->model()->index(row, InstanceListModel::AddressColumn).data().toString();
        QVERIFY2(cell.contains(address) && cell.contains(QStringLiteral("%1 → 80").arg(m_webPort)), qPrintable(cell));

        // The Overview: mode, address, and the port as a link to 127.0.0.1.
        QVERIFY(m_window->instanceView()->selectName(name));
        m_window->details()->showTab(DetailsPane::OverviewTab);
        auto *overview = m_window->details()->findChild<OverviewPage *>();
        const QString url = QStringLiteral("http://127.0.0.1:%1/").arg(m_webPort);
        QTRY_VERIFY_WITH_TIMEOUT(overview->networkLabel()->text().contains(address), 5000);
        QVERIFY2(overview->networkLabel()->text().contains(QStringLiteral("href=\"%1\"").arg(url)),
                 qPrintable(overview->networkLabel()->text()));
        QVERIFY(overview->networkLabel()->openExternalLinks());
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("network-overview.png"))));

        // A click on the port in the list opens that URL, and the page behind it is the container's.
        InstanceView *view = m_window->instanceView();
        const QModelIndex shown = view->model()->index(view->currentIndex().row(), InstanceListModel::AddressColumn);
        auto *delegate = qobject_cast<AddressDelegate *>(view->itemDelegateForColumn(InstanceListModel::AddressColumn));
        QVERIFY(delegate);
        QStyleOptionViewItem option;
        option.initFrom(view);
        option.rect = view->visualRect(shown);
        option.font = view->font();
        const auto ports = delegate->portRects(option, shown);
        QCOMPARE(ports.size(), 1);
        QVERIFY2(view->viewport()->rect().contains(ports.first().first.center()), "the port is drawn off screen");
        m_links.opened.clear();
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, ports.first().first.center());
        QTRY_COMPARE_WITH_TIMEOUT(m_links.opened.size(), 1, 2000);
        QCOMPARE(m_links.opened.first().toString(), url);
        // httpd writes its page first: wait for it to answer through the published port.
        QTRY_COMPARE_WITH_TIMEOUT(fetch(url).trimmed(), QByteArray("hello-from-web"), 15000);
    }

    void trafficMovesTheNetworkSparklineAndChart()
    {
        const QString name = unique("web");
        QVERIFY2(m_webPort > 0, "needs the container of the previous test");
        InstanceView *view = m_window->instanceView();
        QVERIFY(view->selectName(name));
        const int modelRow = m_window->model()->rowOf(name);
        const QModelIndex source = m_window->model()->index(modelRow, InstanceListModel::NetworkColumn);
        // Idle first: the traffic is measured (NAT) and small.
        QTRY_VERIFY_WITH_TIMEOUT(source.data(InstanceListModel::NetTxRateRole).isValid(), 10000);
        const auto cellImage = [view] {
            const QModelIndex index
                = view->model()->index(view->currentIndex().row(), InstanceListModel::NetworkColumn);
            return view->viewport()->grab(view->visualRect(index)).toImage();
        };
        const QModelIndex shownCell
            = view->model()->index(view->currentIndex().row(), InstanceListModel::NetworkColumn);
        QVERIFY2(view->viewport()->rect().contains(view->visualRect(shownCell)), "the Network column is off screen");
        const QImage idle = cellImage();

        // Downloads of 4 MiB one after another, while the window keeps receiving samples.
        const QString url = QStringLiteral("http://127.0.0.1:%1/big").arg(m_webPort);
        QProcess downloader;
        int downloads = 0;
        QObject scope; // destroyed first: no download is started after this test
        const auto again = [&] {
            ++downloads;
            downloader.start(QStringLiteral("timeout"),
                             {QStringLiteral("5"), QStringLiteral("busybox"), QStringLiteral("wget"),
                              QStringLiteral("-qO"), QStringLiteral("/dev/null"), url});
        };
        connect(&downloader, &QProcess::finished, &scope, [&] {
            if (downloads < 400)
                QTimer::singleShot(20, &scope, again);
        });
        again();
        const double busy = 1024.0 * 1024.0; // 1 MiB/s sent by the container: the downloads, not chatter
        QTRY_VERIFY_WITH_TIMEOUT(source.data(InstanceListModel::NetTxRateRole).toDouble() > busy, 20000);
        // Let the line grow over a few samples, then look at it.
        QTest::qWait(3000);
        const QImage moving = cellImage();
        QVERIFY2(moving != idle, "the network sparkline did not change while traffic flowed");
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("network-list-traffic.png"))));
        const QString text = source.data().toString();
        QVERIFY2(text.contains(QStringLiteral("↑")) && text.contains(QStringLiteral("MiB/s")), qPrintable(text));

        m_window->details()->showTab(DetailsPane::PerformanceTab);
        NetworkChart *chart = m_window->details()->findChild<PerformancePage *>()->networkChart();
        QTRY_VERIFY_WITH_TIMEOUT(chart->txPointCount() > 3, 5000);
        QVERIFY(chart->measured());
        QVERIFY(chart->unknownNote()->isHidden());
        QVERIFY2(chart->peakTx() > busy, qPrintable(QString::number(chart->peakTx())));
        QVERIFY(chart->peakTx() > chart->peakRx()); // the container serves: it sends more than it receives
        QCOMPARE(chart->unit(), QStringLiteral("MiB/s"));
        QVERIFY(m_window->details()->grab().save(outputPath(QStringLiteral("network-performance.png"))));
        downloads = 400;
        downloader.waitForFinished(10000);
        m_window->details()->showTab(DetailsPane::OverviewTab);
    }

    void containerWithoutNetwork_showsTrafficAsUnknown()
    {
        const QString name = unique("quiet");
        const auto made = m_system.run({}, TestSystem::ctlProgram(),
                                       {QStringLiteral("create-container"), name, QStringLiteral("network=none"),
                                        QStringLiteral("--"), QStringLiteral("sleep"), QStringLiteral("3600")});
        QVERIFY2(made.exitCode == 0, made.err.constData());
        QTRY_VERIFY_WITH_TIMEOUT(instance(name) && instance(name)->state == QLatin1String("running"), 30000);
        const int row = m_window->model()->rowOf(name);
        const QModelIndex network = m_window->model()->index(row, InstanceListModel::NetworkColumn);
        QTRY_VERIFY_WITH_TIMEOUT(network.data(InstanceListModel::HasStatsRole).toBool(), 10000);
        QCOMPARE(network.data().toString(), QStringLiteral("unknown"));
        QVERIFY(!network.data(InstanceListModel::NetTxRateRole).isValid());
        QVERIFY(network.data(Qt::ToolTipRole).toString().contains(QStringLiteral("Hamlet (NAT) network")));
        QCOMPARE(m_window->model()->index(row, InstanceListModel::AddressColumn).data().toString(),
                 QStringLiteral("no network"));
        QVERIFY(m_window->instanceView()->selectName(name));
        m_window->details()->showTab(DetailsPane::PerformanceTab);
        NetworkChart *chart = m_window->details()->findChild<PerformancePage *>()->networkChart();
        QTRY_VERIFY_WITH_TIMEOUT(!chart->measured() && chart->unknownNote()->isVisible(), 5000);
        QVERIFY(chart->unknownNote()->text().contains(QStringLiteral("Hamlet (NAT) network")));
        QCOMPARE(chart->txPointCount(), 0);
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("network-none.png"))));
    }
};

QTEST_MAIN(TestNetwork)
#include "tst_networkgui.moc"
