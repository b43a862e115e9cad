// Issue 18, the GUI's part of the history: the Performance page opens full after a restart of the
// window and of the helper (the helper's recorded seconds, not an empty chart filling up), and
// the 24 h and 7 d windows draw the helper's buckets.
#include "clienttest.h"
#include "detailspane.h"
#include "imagetesthelpers.h"
#include "instanceview.h"
#include "logging.h"
#include "performancepage.h"
#include "testsystem.h"
#include "windowontestsystem.h"

#include <QAbstractButton>
#include <QSettings>
#include <QTest>
#include <QValueAxis>

#include <csignal>
#include <memory>

using namespace Hamlet;
using namespace Hamlet::Test;

class TestHistoryGui : public QObject
{
    Q_OBJECT

    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;
    std::unique_ptr<MainWindow> m_window;
    const QString m_name = unique("recorded");

    PerformancePage *openPerformance()
    {
        if (!QTest::qWaitFor([this] { return m_window->instanceView()->selectName(m_name); }, 10000))
            return nullptr;
        m_window->details()->showTab(DetailsPane::PerformanceTab);
        return m_window->details()->performance();
    }

private Q_SLOTS:
    void initTestCase()
    {
        Log::setup("tst_historygui", false); // HAMLET_LOG=debug shows what the window fetched
        QSettings().setValue(QStringLiteral("performance/windowSeconds"), 60);
        QVERIFY2(startWindowOnTestSystem(m_system, m_client, m_window).isEmpty(), "the window starts");
        const QVariantMap spec {
            {QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}},
            {QStringLiteral("cpus"), 0.5},
            {QStringLiteral("network"), QStringLiteral("none")}};
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), m_name, spec), QString());
    }

    // The window closed, the helper killed and started again 20 s later: a new window's chart
    // has those 20 s at once (live samples alone would have 2 or 3 points).
    void afterRestarts_theChartOpensWithTheRecordedSeconds()
    {
        m_window.reset();
        m_client.reset();
        QTest::qWait(20000);
        m_system.stopHelper(SIGKILL);
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
        m_window = std::make_unique<MainWindow>(m_client.get());
        m_window->resize(1280, 760);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        m_window->refresh();
        PerformancePage *performance = openPerformance();
        QVERIFY(performance);
        QTRY_VERIFY_WITH_TIMEOUT(performance->cpuPointCount() >= 14, 3000);
        QCOMPARE(performance->cpuPointCount(), performance->memoryPointCount());
        QVERIFY(m_window->details()->grab().save(outputPath(QStringLiteral("performance-after-restart.png"))));
    }

    void longWindows_drawTheHelpersBuckets()
    {
        PerformancePage *performance = m_window->details()->performance();
        for (const int seconds : {86400, 604800}) {
            auto *button = performance->findChild<QAbstractButton *>(QStringLiteral("window%1").arg(seconds));
            QVERIFY(button);
            QTest::mouseClick(button, Qt::LeftButton);
            QCOMPARE(performance->windowSeconds(), seconds);
            QCOMPARE(performance->timeAxis()->min(), seconds == 86400 ? -24.0 : -7.0);
            // The current minute (or ten) from the 1 s points, as a bucket: at least one point,
            // never more than the 600 asked for.
            QTRY_VERIFY_WITH_TIMEOUT(performance->cpuPointCount() >= 1, 5000);
            QVERIFY(performance->cpuPointCount() <= 600);
        }
        QVERIFY(m_window->details()->grab().save(outputPath(QStringLiteral("performance-7d.png"))));
        // Back to a live window: the live points again.
        QTest::mouseClick(performance->findChild<QAbstractButton *>(QStringLiteral("window60")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(performance->cpuPointCount() >= 14, 3000);
    }

    void cleanupTestCase()
    {
        m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("delete"), m_name});
        m_window.reset();
    }
};

QTEST_MAIN(TestHistoryGui)
#include "tst_historygui.moc"
