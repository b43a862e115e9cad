// The Images page and the New container wizard against the real helper on the test bus, drawn on
// Xvfb: the store listed as ListImages tells it, a container made from an image, Remove refused
// while that container uses it (its name shown) and done once it is gone, the wizard following
// the store, and pull / import errors shown in their dialogs. Screenshots go to $HAMLET_TEST_OUTPUT.
#include "filepicker.h"
#include "helperclient.h"
#include "imagelistmodel.h"
#include "imagespage.h"
#include "imagetesthelpers.h"
#include "importdialog.h"
#include "instancelistmodel.h"
#include "jobprogressview.h"
#include "messagebanner.h"
#include "pulldialog.h"
#include "sidebar.h"
#include "testsystem.h"
#include "windowontestsystem.h"

#include <QAbstractButton>
#include <QComboBox>
#include <QGroupBox>
#include <QLabel>
#include <QMessageBox>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QToolBar>
#include <QTreeView>

#include <QCoro/QCoroTask>
#include <memory>

using namespace Hamlet;
using namespace Hamlet::Test;

class TestImagesPage : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    QTemporaryDir m_home;
    std::unique_ptr<HelperClient> m_client;
    std::unique_ptr<MainWindow> m_window;

    ImagesPage *page() const { return m_window->imagesPage(); }
    ImageListModel *images() const { return m_window->imageModel(); }

    void click(QAction *action)
    {
        QWidget *button = page()->toolBar()->widgetForAction(action);
        QVERIFY(button);
        QTRY_VERIFY2_WITH_TIMEOUT(button->isEnabled(), qPrintable(action->text()), 5000);
        QTest::mouseClick(button, Qt::LeftButton);
    }

    QString cell(const QString &image, int column) const
    {
        const int row = images()->rowOf(image);
        return row < 0 ? QString() : images()->index(row, column).data().toString();
    }

    QString stateOf(const QString &name) const
    {
        const auto *instance = m_window->model()->instance(name);
        return instance ? instance->state : QString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        // Stored logins come from here, not from the home of whoever runs the tests.
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_home.path() + QStringLiteral("/run")));
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_home.path() + QStringLiteral("/config")));
        QVERIFY2(QGuiApplication::platformName() == QStringLiteral("xcb"), "GUI tests run on Xvfb (xcb)");
        const QString started = startWindowOnTestSystem(m_system, m_client, m_window);
        QVERIFY2(started.isEmpty(), qPrintable(started));
        QVERIFY2(!m_window->capabilities()->busybox.isEmpty(), "the tests need busybox-static");
        m_window->sidebar()->select(Sidebar::Images);
        QVERIFY(page()->isVisible());
    }

    void cleanup()
    {
        if (QTest::currentTestFailed())
            qWarning("helper log (end):\n%s", qPrintable(m_system.helperLog().right(3000)));
    }

    void cleanupTestCase()
    {
        m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("delete"), unique("from-image")});
        m_window.reset();
    }

    // The page shows what ListImages says, and the built-in busybox first, explained, even while
    // the store lacks it (removed: the helper makes it again when a container needs it).
    void page_listsTheStore()
    {
        QTRY_VERIFY_WITH_TIMEOUT(images()->hasLoaded(), 10000);
        const auto listed = QCoro::waitFor(m_client->listImages());
        QVERIFY(std::holds_alternative<VariantMapList>(listed));
        const VariantMapList store = std::get<VariantMapList>(listed);
        const bool busyboxStored = std::any_of(store.begin(), store.end(), [](const QVariantMap &image) {
            return image.value(QStringLiteral("name")).toString() == QStringLiteral("busybox");
        });
        QCOMPARE(images()->rowCount(), store.size() + (busyboxStored ? 0 : 1));
        QCOMPARE(m_window->sidebar()->count(Sidebar::Images), images()->rowCount());
        QCOMPARE(images()->index(0, 0).data(ImageListModel::ImageNameRole).toString(), QStringLiteral("busybox"));
        QVERIFY(cell(QStringLiteral("busybox"), ImageListModel::NameColumn).contains(QStringLiteral("built-in")));
        QCOMPARE(cell(QStringLiteral("busybox"), ImageListModel::UsedByColumn), QStringLiteral("no container"));
        QVERIFY(page()->selectImage(QStringLiteral("busybox")));
        QVERIFY2(page()->detailsText().contains(QStringLiteral("no download")), qPrintable(page()->detailsText()));
        if (!busyboxStored) {
            QCOMPARE(cell(QStringLiteral("busybox"), ImageListModel::TagColumn), QStringLiteral("made on first use"));
            QVERIFY(!page()->removeAction()->isEnabled()); // nothing to remove yet
        }
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("images-page-fresh.png"))));
    }

    // The wizard offers every image of the store, busybox first and chosen.
    void wizard_offersTheStoresImages()
    {
        ContainerWizard *wizard = m_window->newContainer();
        QVERIFY(QTest::qWaitForWindowExposed(wizard));
        QCOMPARE(wizard->imageBox()->count(), images()->rowCount());
        for (int row = 0; row < images()->rowCount(); ++row)
            QCOMPARE(wizard->imageBox()->itemData(row).toString(),
                     images()->index(row, 0).data(ImageListModel::ImageNameRole).toString());
        QCOMPARE(wizard->image(), QStringLiteral("busybox"));
        QVERIFY(wizard->imageBox()->isEnabled());
        wizard->reject();
    }

    // New container from the selected image; then Remove asks, and the helper refuses while the
    // container uses it: the page names the container. Cancel in the question changes nothing.
    void remove_isRefusedWhileAContainerUsesTheImage()
    {
        QVERIFY(page()->selectImage(QStringLiteral("busybox")));
        click(page()->createAction());
        ContainerWizard *wizard = visibleChild<ContainerWizard>(m_window.get());
        QVERIFY(wizard);
        QCOMPARE(wizard->image(), QStringLiteral("busybox"));
        QVERIFY(fillContainerWizard(wizard, unique("from-image"), QStringLiteral("sleep 3600")));
        const QPointer<ContainerWizard> open(wizard);
        QTest::mouseClick(wizard->button(QWizard::FinishButton), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(unique("from-image")), QStringLiteral("running"), 10000);
        // The wizard (window-modal) closes when its job ends and the window lands on the new
        // container; only then can a user go back to Images. The model may see "running" before
        // the job's end reaches the wizard: selecting Images earlier raced that landing.
        QTRY_VERIFY_WITH_TIMEOUT(!open || !open->isVisible(), 20000);
        QCOMPARE(m_window->sidebar()->current(), Sidebar::All);
        // Creating a container changes "used by": the page asks again.
        QTRY_COMPARE_WITH_TIMEOUT(cell(QStringLiteral("busybox"), ImageListModel::UsedByColumn), unique("from-image"),
                                  20000);
        m_window->sidebar()->select(Sidebar::Images);
        // Now made and stored: its digest, layers and size are shown, as ListImages says.
        const auto listed = QCoro::waitFor(m_client->listImages());
        QVERIFY(std::holds_alternative<VariantMapList>(listed));
        QVariantMap stored;
        for (const QVariantMap &image : std::get<VariantMapList>(listed))
            if (image.value(QStringLiteral("name")).toString() == QStringLiteral("busybox"))
                stored = image;
        QVERIFY(!stored.isEmpty());
        QCOMPARE(images()->images().size(), std::get<VariantMapList>(listed).size());
        QCOMPARE(cell(QStringLiteral("busybox"), ImageListModel::LayersColumn),
                 QString::number(stored.value(QStringLiteral("layers")).toUInt()));
        QVERIFY(cell(QStringLiteral("busybox"), ImageListModel::TagColumn)
                    .contains(stored.value(QStringLiteral("digest")).toString().mid(7, 12)));
        QVERIFY(cell(QStringLiteral("busybox"), ImageListModel::SizeColumn).contains(QStringLiteral("iB")));

        QVERIFY(page()->selectImage(QStringLiteral("busybox")));
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("images-page.png"))));
        click(page()->removeAction());
        QTRY_VERIFY_WITH_TIMEOUT(page()->pendingConfirmation() && page()->pendingConfirmation()->isVisible(), 3000);
        QVERIFY2(page()->pendingConfirmation()->informativeText().contains(QStringLiteral("made again")),
                 qPrintable(page()->pendingConfirmation()->informativeText()));
        QVERIFY(page()->pendingConfirmation()->informativeText().contains(unique("from-image")));
        QVERIFY(page()->pendingConfirmation()->grab().save(outputPath(QStringLiteral("images-remove-question.png"))));
        QTest::mouseClick(page()->pendingConfirmation()->button(QMessageBox::Cancel), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!page()->pendingConfirmation(), 3000);
        QTest::qWait(300);
        QVERIFY(!page()->banner()->isVisible());

        click(page()->removeAction());
        QTRY_VERIFY_WITH_TIMEOUT(page()->pendingConfirmation() && page()->pendingConfirmation()->isVisible(), 3000);
        QTest::mouseClick(page()->pendingConfirmation()->findChild<QPushButton *>(QStringLiteral("confirmRemove")),
                          Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(page()->banner()->isVisible(), 20000);
        const QString shown = page()->banner()->text();
        QVERIFY2(shown.contains(unique("from-image")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("delete"), Qt::CaseInsensitive), qPrintable(shown)); // what to do
        QVERIFY(images()->rowOf(QStringLiteral("busybox")) >= 0);
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("images-remove-busy.png"))));
    }

    // Once the container is gone Remove works; the list and the count follow, and busybox stays
    // offered as "made on first use" (in the page and in an open wizard).
    void remove_removesTheImage_onceNoContainerUsesIt()
    {
        const auto deleted
            = m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("delete"), unique("from-image")});
        QCOMPARE(deleted.exitCode, 0);
        QTRY_COMPARE_WITH_TIMEOUT(cell(QStringLiteral("busybox"), ImageListModel::UsedByColumn),
                                  QStringLiteral("no container"), 20000);
        page()->banner()->hide();
        QVERIFY(page()->selectImage(QStringLiteral("busybox")));
        click(page()->removeAction());
        QTRY_VERIFY_WITH_TIMEOUT(page()->pendingConfirmation() && page()->pendingConfirmation()->isVisible(), 3000);
        QTest::mouseClick(page()->pendingConfirmation()->findChild<QPushButton *>(QStringLiteral("confirmRemove")),
                          Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(cell(QStringLiteral("busybox"), ImageListModel::TagColumn),
                                  QStringLiteral("made on first use"), 10000);
        QVERIFY2(!page()->banner()->isVisible(), qPrintable(page()->banner()->text()));
        const auto listed = QCoro::waitFor(m_client->listImages());
        QVERIFY(std::holds_alternative<VariantMapList>(listed));
        for (const QVariantMap &image : std::get<VariantMapList>(listed))
            QVERIFY(image.value(QStringLiteral("name")).toString() != QStringLiteral("busybox"));
        QCOMPARE(m_window->sidebar()->count(Sidebar::Images), images()->rowCount());
        QVERIFY(page()->selectImage(QStringLiteral("busybox")));
        QVERIFY(!page()->removeAction()->isEnabled());
        ContainerWizard *wizard = m_window->newContainer();
        QVERIFY(QTest::qWaitForWindowExposed(wizard));
        QCOMPARE(wizard->image(), QStringLiteral("busybox"));
        wizard->reject();
    }

    // Pull…: the reference is checked as typed, a loopback registry needs no "insecure", a stored
    // login for the registry is found and sent; what the helper answers is shown in the dialog.
    void pullDialog_checksTheReference_andShowsTheHelpersAnswer()
    {
        QFile auth(m_home.path() + QStringLiteral("/run/containers/auth.json"));
        QVERIFY(QDir().mkpath(m_home.path() + QStringLiteral("/run/containers")));
        QVERIFY(auth.open(QIODevice::WriteOnly));
        auth.write(R"({"auths": {"127.0.0.1:1": {"auth": "dXNlcjpzZWNyZXQ="}}})");
        auth.close();
        click(page()->pullAction());
        auto *dialog = visibleChild<PullDialog>(page());
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        typeInto(dialog->referenceEdit(), QStringLiteral("My Image"));
        QVERIFY2(dialog->referenceInfo().contains(QStringLiteral("white space")), qPrintable(dialog->referenceInfo()));
        QVERIFY(!dialog->startButton()->isEnabled());

        const QString reference = QStringLiteral("127.0.0.1:1/nothing/here:1");
        typeInto(dialog->referenceEdit(), reference);
        QVERIFY2(dialog->referenceInfo().contains(reference), qPrintable(dialog->referenceInfo()));
        QVERIFY(dialog->startButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(dialog->credentialsLoaded(), 5000);
        QVERIFY2(dialog->credentialsInfo().contains(QStringLiteral("auth.json")),
                 qPrintable(dialog->credentialsInfo()));
        QCOMPARE(dialog->options().value(QStringLiteral("auth")).toString(), QStringLiteral("dXNlcjpzZWNyZXQ="));
        QVERIFY(!dialog->options().contains(QStringLiteral("insecure")));
        // Typed credentials replace the stored ones.
        dialog->signInBox()->setChecked(true);
        QVERIFY(!dialog->startButton()->isEnabled()); // a user name is needed
        typeInto(dialog->usernameEdit(), QStringLiteral("me"));
        typeInto(dialog->passwordEdit(), QStringLiteral("pw"));
        QCOMPARE(dialog->options().value(QStringLiteral("username")).toString(), QStringLiteral("me"));
        QVERIFY(!dialog->options().contains(QStringLiteral("auth")));
        dialog->signInBox()->setChecked(false);

        // Nothing listens on port 1: whatever stage fails (the call, or the job), the dialog says so.
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->errorText().isEmpty(), 30000);
        QVERIFY2(dialog->errorText().contains(reference), qPrintable(dialog->errorText()));
        QVERIFY(!dialog->isRunning());
        QVERIFY(dialog->closeButton()->isEnabled());
        QVERIFY(dialog->startButton()->isEnabled()); // try again after a change
        QVERIFY(!dialog->cancelButton()->isVisible());
        QVERIFY(dialog->grab().save(outputPath(QStringLiteral("images-pull-error.png"))));
        QCOMPARE(images()->rowOf(QStringLiteral("127.0.0.1:1/nothing/here:1")), -1);
        QTest::mouseClick(dialog->closeButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!visibleChild<PullDialog>(page()), 3000);
    }

    // Import…: the format is guessed from the file, a root filesystem needs a name, and the GUI
    // opens the file itself. With an ImportImage that works, the image joins the list.
    void importDialog_guessesTheFormat_andImportsARootfs()
    {
        QTemporaryDir dir;
        QVERIFY(QDir().mkpath(dir.path() + QStringLiteral("/root/bin")));
        QVERIFY(QFile::copy(m_window->capabilities()->busybox, dir.path() + QStringLiteral("/root/bin/busybox")));
        QVERIFY(QFile::link(QStringLiteral("busybox"), dir.path() + QStringLiteral("/root/bin/sh")));
        const QString archive = dir.path() + QStringLiteral("/tools.tar.gz");
        QCOMPARE(QProcess::execute(QStringLiteral("tar"),
                                   {QStringLiteral("-C"), dir.path() + QStringLiteral("/root"), QStringLiteral("-czf"),
                                    archive, QStringLiteral("bin")}),
                 0);

        click(page()->importAction());
        auto *dialog = visibleChild<ImportDialog>(page());
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        dialog->formatBox()->setCurrentIndex(0);
        dialog->filePicker()->setPath(archive);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->format(), QStringLiteral("rootfs"), 5000);
        QVERIFY2(dialog->guessText().contains(QStringLiteral("root filesystem")), qPrintable(dialog->guessText()));
        QVERIFY(!dialog->startButton()->isEnabled()); // a root filesystem needs a name
        QVERIFY(dialog->commandEdit()->isEnabled());
        typeInto(dialog->nameEdit(), QStringLiteral("tools:1"));
        QVERIFY(dialog->startButton()->isEnabled());
        QCOMPARE(dialog->options().value(QStringLiteral("command")).toStringList(),
                 QStringList {QStringLiteral("/bin/sh")});

        // An open wizard follows the store: it offers the new image once it is in.
        ContainerWizard *wizard = m_window->newContainer();
        QVERIFY(QTest::qWaitForWindowExposed(wizard));
        const int offeredBefore = wizard->imageBox()->count();
        dialog->raise();
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isRunning(), 60000);
        QVERIFY(dialog->grab().save(outputPath(QStringLiteral("images-import.png"))));
        QVERIFY2(dialog->hasSucceeded(), qPrintable(dialog->errorText()));
        QProgressBar *overall = dialog->progressView()->overallBar();
        QCOMPARE(overall->value(), overall->maximum());
        QVERIFY2(dialog->statusText().contains(QStringLiteral("tools:1")), qPrintable(dialog->statusText()));
        QString imported;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const ImageRow &row : images()->images())
                    if (row.name.contains(QStringLiteral("tools")))
                        imported = row.name;
                return !imported.isEmpty();
            }(),
            10000);
        QCOMPARE(cell(imported, ImageListModel::SourceColumn), QStringLiteral("imported archive"));
        QTRY_COMPARE_WITH_TIMEOUT(wizard->imageBox()->count(), offeredBefore + 1, 5000);
        QVERIFY(wizard->imageBox()->findData(imported) > 0); // busybox stays first
        wizard->reject();
        QTest::mouseClick(dialog->closeButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(page()->selectedImage(), imported, 5000);
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("images-page-imported.png"))));
    }

    // A file that is not what its format says: the job fails, the dialog says so, nothing is added.
    void importDialog_showsABrokenArchive()
    {
        QTemporaryDir dir;
        QFile text(dir.path() + QStringLiteral("/notes.tar"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write(QByteArray(4096, 'n'));
        text.close();
        const int before = images()->rowCount();
        click(page()->importAction());
        auto *dialog = visibleChild<ImportDialog>(page());
        QVERIFY(dialog);
        dialog->filePicker()->setPath(text.fileName());
        QTRY_VERIFY_WITH_TIMEOUT(
            !dialog->guessText().isEmpty() && !dialog->guessText().startsWith(QStringLiteral("Looking")), 5000);
        dialog->formatBox()->setCurrentIndex(dialog->formatBox()->findData(QStringLiteral("docker-archive")));
        QVERIFY(dialog->startButton()->isEnabled());
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->errorText().isEmpty(), 30000);
        // The job failed (the call was not refused), naming the file.
        QVERIFY2(dialog->errorText().contains(QStringLiteral("notes.tar failed")), qPrintable(dialog->errorText()));
        QVERIFY(!dialog->hasSucceeded());
        QCOMPARE(dialog->progressView()->overallBar()->text(), QStringLiteral("failed")); // not "100%"
        QVERIFY(dialog->grab().save(outputPath(QStringLiteral("images-import-error.png"))));
        QTest::qWait(300);
        QCOMPARE(images()->rowCount(), before);
        QTest::mouseClick(dialog->closeButton(), Qt::LeftButton);
    }

    // Run as a VM: the selected image boots as a micro-VM named after it, and the window shows it.
    void runAsVm_bootsTheImageAsAHouse()
    {
        m_window->sidebar()->select(Sidebar::Images);
        QTRY_VERIFY_WITH_TIMEOUT(page()->selectImage(QStringLiteral("busybox")), 10000);
        click(page()->runAsVmAction());
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("busybox-vm")), QStringLiteral("running"), 60000);
        const auto parts = QCoro::waitFor(m_client->inspect(QStringLiteral("busybox-vm")));
        QVERIFY(std::holds_alternative<QVariantMap>(parts));
        QCOMPARE(std::get<QVariantMap>(parts).value(QStringLiteral("source")).toString(), QStringLiteral("image"));
        QCOMPARE(std::get<QVariantMap>(parts).value(QStringLiteral("image")).toString(), QStringLiteral("busybox"));
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("images-run-as-vm.png"))));
        // A second click takes the next free name.
        m_window->sidebar()->select(Sidebar::Images);
        QTRY_VERIFY_WITH_TIMEOUT(page()->selectImage(QStringLiteral("busybox")), 10000);
        click(page()->runAsVmAction());
        QTRY_VERIFY_WITH_TIMEOUT(!stateOf(QStringLiteral("busybox-vm2")).isEmpty(), 60000);
        for (const QString &name : {QStringLiteral("busybox-vm"), QStringLiteral("busybox-vm2")})
            QCOMPARE(m_system.run({}, TestSystem::ctlProgram(), {QStringLiteral("delete"), name}).exitCode, 0);
    }
};

QTEST_MAIN(TestImagesPage)
#include "tst_imagespage.moc"
