// Issue 7, acceptance 7: a pull through the Images page from a docker-registry on loopback (the
// test pushes the image), with a progress bar per layer and one overall that reaches 100 %; the
// image then lists and a container is made from it. Also Cancel, a missing image and a damaged
// blob, as the person sees them in the dialog. A throttling proxy makes the download last long
// enough to watch. Screenshots go to $HAMLET_TEST_OUTPUT.
#include "helperclient.h"
#include "imagelistmodel.h"
#include "imagespage.h"
#include "imagetesthelpers.h"
#include "instancelistmodel.h"
#include "jobprogressview.h"
#include "localregistry.h"
#include "pulldialog.h"
#include "sidebar.h"
#include "testsystem.h"
#include "windowontestsystem.h"

#include <QComboBox>
#include <QGroupBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QToolBar>

#include <memory>

using namespace Hamlet;
using namespace Hamlet::Test;

class TestPullThroughPage : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    LocalRegistry m_registry;
    std::unique_ptr<ThrottledProxy> m_proxy;
    QTemporaryDir m_home;
    std::unique_ptr<HelperClient> m_client;
    std::unique_ptr<MainWindow> m_window;

    ImagesPage *page() const { return m_window->imagesPage(); }
    ImageListModel *images() const { return m_window->imageModel(); }

    PullDialog *openPull(const QString &reference)
    {
        QTest::mouseClick(page()->toolBar()->widgetForAction(page()->pullAction()), Qt::LeftButton);
        auto *dialog = visibleChild<PullDialog>(page());
        if (!dialog || !QTest::qWaitForWindowExposed(dialog))
            return nullptr;
        typeInto(dialog->referenceEdit(), reference);
        return dialog;
    }

    static TestLayer randomLayer(const QByteArray &path, int bytes)
    {
        QByteArray data(bytes, Qt::Uninitialized);
        QRandomGenerator generator(42);
        for (char &c : data)
            c = static_cast<char>(generator.generate());
        return TestLayer {{LayerFile::file(path, data)}, Compression::Gzip};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_home.path()));
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_home.path()));
        QVERIFY2(QGuiApplication::platformName() == QStringLiteral("xcb"), "GUI tests run on Xvfb (xcb)");
        QVERIFY2(m_registry.start(), qPrintable(m_registry.error()));
        const QJsonObject config {{QStringLiteral("Cmd"), QJsonArray {QStringLiteral("/bin/sh")}}};
        QVERIFY2(m_registry.pushImage(
                     QStringLiteral("test/gui"), QStringLiteral("1"),
                     {TestLayer {busyboxFiles(), Compression::Gzip},
                      TestLayer {{LayerFile::file("etc/motd", "pulled through the GUI\n")}, Compression::Gzip},
                      randomLayer("data/blob", 600 * 1024)},
                     config),
                 qPrintable(m_registry.error()));
        QVERIFY2(m_registry.pushImage(QStringLiteral("test/slow"), QStringLiteral("1"),
                                      {randomLayer("data/big", 4 * 1024 * 1024)}, config),
                 qPrintable(m_registry.error()));
        const auto damaged = m_registry.pushImage(QStringLiteral("test/damaged"), QStringLiteral("1"),
                                                  {randomLayer("data/other", 64 * 1024)}, config);
        QVERIFY2(damaged, qPrintable(m_registry.error()));
        QVERIFY(m_registry.tamperBlob(damaged->layerDigests.first()));
        // About 3 s for the first image: long enough to see the bars move.
        m_proxy = std::make_unique<ThrottledProxy>(m_registry.port(), 600 * 1024);
        QVERIFY(m_proxy->start());

        const QString started = startWindowOnTestSystem(m_system, m_client, m_window);
        QVERIFY2(started.isEmpty(), qPrintable(started));
        m_window->sidebar()->select(Sidebar::Images);
        QTRY_VERIFY_WITH_TIMEOUT(images()->hasLoaded(), 10000);
    }

    void cleanup()
    {
        if (QTest::currentTestFailed())
            qWarning("helper log (end):\n%s", qPrintable(m_system.helperLog().right(4000)));
    }

    void cleanupTestCase()
    {
        m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("delete"), unique("pulled")});
        m_window.reset();
    }

    // 7. Pull through the page: a bar per layer, the overall bar moves and reaches 100 %, the
    // image lists (selected) and a container runs from it.
    void pull_throughTheImagesPage_reaches100Percent()
    {
        const QString reference = m_proxy->hostPort() + QStringLiteral("/test/gui:1");
        PullDialog *dialog = openPull(reference);
        QVERIFY(dialog);
        QVERIFY2(dialog->referenceInfo().contains(reference), qPrintable(dialog->referenceInfo()));
        QVERIFY(!dialog->insecureBox()->isChecked()); // loopback: plain HTTP without asking
        QProgressBar *overall = dialog->progressView()->overallBar();
        QList<int> seen;
        bool grabbed = false;
        connect(overall, &QProgressBar::valueChanged, this, [&](int value) {
            seen << value;
            if (!grabbed && overall->maximum() > 0 && value > overall->maximum() / 3) {
                grabbed = dialog->grab().save(outputPath(QStringLiteral("images-pull-progress.png")));
            }
        });
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(dialog->isRunning(), 3000);
        QVERIFY(dialog->cancelButton()->isVisible());
        QVERIFY(!dialog->closeButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isRunning(), 120000);
        QVERIFY2(dialog->hasSucceeded(), qPrintable(dialog->errorText()));
        QCOMPARE(overall->value(), overall->maximum());
        QCOMPARE(overall->text(), QStringLiteral("100%"));
        const bool moved
            = std::any_of(seen.begin(), seen.end(), [overall](int v) { return v > 0 && v < overall->maximum(); });
        QVERIFY2(moved, "the overall bar went through values between 0 and 100 %");
        QCOMPARE(dialog->progressView()->layerCount(), 3);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(dialog->progressView()->layerBar(i)->value(), dialog->progressView()->layerBar(i)->maximum());
            QVERIFY2(dialog->progressView()->layerText(i).contains(QStringLiteral("done")),
                     qPrintable(dialog->progressView()->layerText(i)));
        }
        QVERIFY2(grabbed, "a screenshot while pulling");
        QVERIFY(dialog->grab().save(outputPath(QStringLiteral("images-pull-done.png"))));
        QVERIFY2(dialog->statusText().contains(QStringLiteral("in the store")), qPrintable(dialog->statusText()));
        QTest::mouseClick(dialog->closeButton(), Qt::LeftButton);

        QTRY_VERIFY_WITH_TIMEOUT(images()->rowOf(reference) >= 0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(page()->selectedImage(), reference, 3000);
        const int row = images()->rowOf(reference);
        QCOMPARE(images()->index(row, ImageListModel::LayersColumn).data().toString(), QStringLiteral("3"));
        QCOMPARE(images()->index(row, ImageListModel::SourceColumn).data().toString(), m_proxy->hostPort());

        // New container (from the main toolbar) offers it after busybox, which stays the default.
        ContainerWizard *plain = m_window->newContainer();
        QVERIFY(QTest::qWaitForWindowExposed(plain));
        QCOMPARE(plain->imageBox()->itemData(0).toString(), QStringLiteral("busybox"));
        QCOMPARE(plain->image(), QStringLiteral("busybox"));
        QVERIFY(plain->imageBox()->findData(reference) > 0);
        plain->reject();

        // A container from it, through the page.
        QTest::mouseClick(page()->toolBar()->widgetForAction(page()->createAction()), Qt::LeftButton);
        ContainerWizard *wizard = visibleChild<ContainerWizard>(m_window.get());
        QVERIFY(wizard);
        QCOMPARE(wizard->image(), reference);
        // The test image has bin/busybox and bin/sh only: no applet links.
        QVERIFY(fillContainerWizard(wizard, unique("pulled"), QStringLiteral("/bin/busybox sleep 3600")));
        QTest::mouseClick(wizard->button(QWizard::FinishButton), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->instance(unique("pulled"))
                                      ? m_window->model()->instance(unique("pulled"))->state
                                      : QString(),
                                  QStringLiteral("running"), 15000);
        m_window->sidebar()->select(Sidebar::Images);
        QTRY_COMPARE_WITH_TIMEOUT(
            images()->index(images()->rowOf(reference), ImageListModel::UsedByColumn).data().toString(),
            unique("pulled"), 5000);
        QVERIFY(page()->selectImage(reference));
        QTest::qWait(200); // the splitter hands the details' width to the list on the next layout pass
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("images-page-pulled.png"))));
    }

    // Cancel stops the download; nothing is listed.
    void cancel_stopsThePull_andKeepsNothing()
    {
        const QString reference = m_proxy->hostPort() + QStringLiteral("/test/slow:1");
        PullDialog *dialog = openPull(reference);
        QVERIFY(dialog);
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(dialog->progressView()->overallBar()->value() > 0, 30000);
        QTest::mouseClick(dialog->cancelButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isRunning(), 30000);
        QVERIFY(!dialog->hasSucceeded());
        QVERIFY2(dialog->statusText().contains(QStringLiteral("Cancelled")), qPrintable(dialog->statusText()));
        QVERIFY2(dialog->errorText().isEmpty(), qPrintable(dialog->errorText()));
        QTest::qWait(500);
        QCOMPARE(images()->rowOf(reference), -1);
        QTest::mouseClick(dialog->closeButton(), Qt::LeftButton);
    }

    // A registry with token auth: a wrong password typed in gets the registry's refusal and a hint
    // about credentials; the login stored in the person's auth.json is found and the pull works.
    void tokenAuth_wrongPasswordRefused_storedLoginWorks()
    {
        LocalRegistry secured;
        QVERIFY2(secured.start(), qPrintable(secured.error()));
        const QJsonObject config {{QStringLiteral("Cmd"), QJsonArray {QStringLiteral("/bin/sh")}}};
        QVERIFY2(secured.pushImage(QStringLiteral("team/private"), QStringLiteral("1"),
                                   {TestLayer {{LayerFile::file("etc/secret", "s3cret\n")}, Compression::Gzip}},
                                   config),
                 qPrintable(secured.error()));
        TokenIssuer issuer(QStringLiteral("alice"), QStringLiteral("correct horse"));
        QVERIFY2(issuer.start(), qPrintable(issuer.error()));
        QVERIFY2(secured.startWithTokenAuth(issuer.auth()), qPrintable(secured.error()));
        const QString reference = secured.hostPort() + QStringLiteral("/team/private:1");

        PullDialog *dialog = openPull(reference);
        QVERIFY(dialog);
        QTRY_VERIFY_WITH_TIMEOUT(dialog->credentialsLoaded(), 5000);
        QVERIFY2(dialog->credentialsInfo().contains(QStringLiteral("No stored login")),
                 qPrintable(dialog->credentialsInfo()));
        dialog->signInBox()->setChecked(true);
        typeInto(dialog->usernameEdit(), QStringLiteral("alice"));
        typeInto(dialog->passwordEdit(), QStringLiteral("wrong"));
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->errorText().isEmpty(), 20000);
        QVERIFY2(dialog->errorText().contains(QStringLiteral("refused the credentials")),
                 qPrintable(dialog->errorText()));
        QVERIFY2(dialog->errorText().contains(QStringLiteral("incorrect username or password")),
                 qPrintable(dialog->errorText()));
        QVERIFY(dialog->grab().save(outputPath(QStringLiteral("images-pull-not-authorized.png"))));
        QCOMPARE(images()->rowOf(reference), -1);
        QTest::mouseClick(dialog->closeButton(), Qt::LeftButton);

        // podman login wrote this; the GUI reads it and passes the registry's entry.
        QVERIFY(QDir().mkpath(m_home.path() + QStringLiteral("/containers")));
        QFile auth(m_home.path() + QStringLiteral("/containers/auth.json"));
        QVERIFY(auth.open(QIODevice::WriteOnly));
        auth.write(
            QJsonDocument(
                QJsonObject {
                    {QStringLiteral("auths"),
                     QJsonObject {
                         {secured.hostPort(),
                          QJsonObject {{QStringLiteral("auth"),
                                        QString::fromLatin1(QByteArrayLiteral("alice:correct horse").toBase64())}}}}}})
                .toJson());
        auth.close();
        dialog = openPull(reference);
        QVERIFY(dialog);
        QTRY_VERIFY_WITH_TIMEOUT(dialog->credentialsLoaded(), 5000);
        QVERIFY2(dialog->credentialsInfo().contains(QStringLiteral("Your login for ") + secured.hostPort()),
                 qPrintable(dialog->credentialsInfo()));
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isRunning(), 60000);
        QVERIFY2(dialog->hasSucceeded(), qPrintable(dialog->errorText()));
        QTRY_VERIFY_WITH_TIMEOUT(images()->rowOf(reference) >= 0, 5000);
        QTest::mouseClick(dialog->closeButton(), Qt::LeftButton);
    }

    // A missing image and a blob that does not match its digest: the dialog says which and why.
    void failures_areShownInTheDialog_data()
    {
        QTest::addColumn<QString>("repository");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("no such image") << "test/missing:1"
                                       << "test/missing";
        QTest::newRow("digest mismatch") << "test/damaged:1"
                                         << "digest";
    }

    void failures_areShownInTheDialog()
    {
        QFETCH(QString, repository);
        QFETCH(QString, mentions);
        const QString reference = m_registry.hostPort() + QLatin1Char('/') + repository;
        PullDialog *dialog = openPull(reference);
        QVERIFY(dialog);
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->errorText().isEmpty(), 30000);
        QVERIFY2(dialog->errorText().contains(mentions, Qt::CaseInsensitive), qPrintable(dialog->errorText()));
        QVERIFY(!dialog->isRunning());
        QCOMPARE(dialog->progressView()->overallBar()->text(), QStringLiteral("failed"));
        QVERIFY(dialog->grab().save(outputPath(
            QStringLiteral("images-pull-%1.png").arg(QString::fromLatin1(QTest::currentDataTag()).replace(' ', '-')))));
        QCOMPARE(images()->rowOf(reference), -1);
        QTest::mouseClick(dialog->closeButton(), Qt::LeftButton);
    }
};

QTEST_MAIN(TestPullThroughPage)
#include "tst_pullthroughpage.moc"
