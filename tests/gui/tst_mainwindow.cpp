// The main window against the real helper on the test bus, drawn on a real X server (Xvfb).
#include "hamlet_version.h"
#include "helperclient.h"
#include "hostpanel.h"
#include "mainwindow.h"
#include "messagebanner.h"
#include "testsystem.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using Hamlet::MainWindow;
using Hamlet::Test::TestSystem;

namespace {
QString outputPath(const QString &name)
{
    const QString dir = qEnvironmentVariable("HAMLET_TEST_OUTPUT", QDir::tempPath());
    QDir().mkpath(dir);
    return dir + QLatin1Char('/') + name;
}

bool saveScreenshot(QWidget &window, const QString &name)
{
    return window.grab().save(outputPath(name));
}
} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QGuiApplication::platformName() == QStringLiteral("xcb"), "GUI tests run on Xvfb (xcb)");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
    }

    void showsTheHostCapabilities()
    {
        Hamlet::HelperClient client(m_system.busAddress());
        MainWindow window(&client);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.refresh();
        QTRY_VERIFY_WITH_TIMEOUT(window.capabilities().has_value(), 10000);
        const QString shown = window.hostPanel()->text();
        QVERIFY2(shown.contains(QStringLiteral("runc")) || shown.contains(QStringLiteral("crun")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("TCG")) || shown.contains(QStringLiteral("KVM")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("cgroup")) || shown.contains(QStringLiteral("hybrid"))
                     || shown.contains(QStringLiteral("v2")),
                 qPrintable(shown));
        QVERIFY(!window.banner()->isVisible());
        QVERIFY(window.hostPanel()->isEnabled());
        QVERIFY(saveScreenshot(window, QStringLiteral("mainwindow-capabilities.png")));
    }

    void remembersGeometryAndOffersAnAboutBox()
    {
        QStandardPaths::setTestModeEnabled(true);
        Hamlet::HelperClient client(m_system.busAddress());
        {
            MainWindow window(&client);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.resize(1210, 710);
            QTRY_COMPARE(window.size(), QSize(1210, 710));
            window.close();
        }
        MainWindow again(&client);
        QCOMPARE(again.size(), QSize(1210, 710));
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        again.refresh();
        QTRY_VERIFY_WITH_TIMEOUT(again.capabilities().has_value(), 10000);
        QAction *about = nullptr;
        for (QAction *action : again.findChildren<QAction *>())
            if (action->text() == QStringLiteral("&About Hamlet"))
                about = action;
        QVERIFY(about);
        about->trigger();
        auto *box = again.findChild<QMessageBox *>(QStringLiteral("aboutBox"));
        QVERIFY(box);
        QTRY_VERIFY(box->isVisible());
        QVERIFY2(box->text().contains(QStringLiteral(HAMLET_VERSION)), qPrintable(box->text()));
        QVERIFY2(box->text().contains(QString::fromLatin1(qVersion())), qPrintable(box->text()));
        QVERIFY2(box->text().contains(QStringLiteral("hamlet-helper")), qPrintable(box->text()));
        box->close();
    }

    void explainsAnUnreachableHelperAndRecoversOnRetry()
    {
        m_system.stopHelper();
        Hamlet::HelperClient client(m_system.busAddress());
        MainWindow window(&client);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy refreshed(&window, &MainWindow::refreshed);
        window.refresh();
        QTRY_COMPARE_WITH_TIMEOUT(refreshed.size(), 1, 10000);
        QVERIFY(!window.capabilities().has_value());
        QVERIFY(window.banner()->isVisible());
        QVERIFY2(window.banner()->text().contains(QStringLiteral("Cannot reach the Hamlet helper")),
                 qPrintable(window.banner()->text()));
        QVERIFY2(window.banner()->text().contains(QStringLiteral("hamlet-helper")),
                 qPrintable(window.banner()->text()));
        QVERIFY(saveScreenshot(window, QStringLiteral("mainwindow-helper-unreachable.png")));

        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        auto *retry = window.banner()->findChild<QPushButton *>(QStringLiteral("retry"));
        QVERIFY(retry);
        QTest::mouseClick(retry, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(window.capabilities().has_value(), 10000);
        QVERIFY(!window.banner()->isVisible());
    }

    void theHamletProgramOpensItsWindow()
    {
        // The real program, as the README's run command starts it, on this X server.
        QProcess hamlet;
        QStringList env = QProcess::systemEnvironment();
        env << QStringLiteral("HAMLET_BUS_ADDRESS=") + m_system.busAddress();
        hamlet.setEnvironment(env);
        hamlet.setProcessChannelMode(QProcess::MergedChannels);
        hamlet.start(qEnvironmentVariable("HAMLET_GUI_PROGRAM"), {});
        QVERIFY(hamlet.waitForStarted(5000));
        bool windowFound = false;
        for (int attempt = 0; attempt < 50 && !windowFound; ++attempt) {
            QTest::qWait(200);
            QProcess xwininfo;
            xwininfo.start(QStringLiteral("xwininfo"), {QStringLiteral("-root"), QStringLiteral("-tree")});
            xwininfo.waitForFinished(5000);
            windowFound = xwininfo.readAllStandardOutput().contains("\"Hamlet\"");
        }
        QVERIFY2(windowFound, hamlet.readAll().constData());
        QCOMPARE(hamlet.state(), QProcess::Running);
        QProcess import;
        import.start(
            QStringLiteral("import"),
            {QStringLiteral("-window"), QStringLiteral("root"), outputPath(QStringLiteral("hamlet-program-xvfb.png"))});
        QVERIFY(import.waitForFinished(10000));
        hamlet.terminate();
        QVERIFY(hamlet.waitForFinished(5000));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
