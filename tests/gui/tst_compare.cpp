// Issue 21, acceptance 2: one image (the built-in busybox) as a container and as a micro-VM, put
// side by side in Compare on the real helper (runc, libvirt with QEMU under TCG, Xvfb). The
// figures the window shows are checked against the test's own readings: the container's cgroup
// files, QEMU's /proc/PID/status, du of the disk files, and the output files' mtimes for the
// first line; each within 10 %. Also: what cannot be measured reads "unknown" with the reason.
#include "clienttest.h"
#include "comparechart.h"
#include "comparedialog.h"
#include "detailspane.h"
#include "imagespage.h"
#include "imagetesthelpers.h"
#include "instancelistmodel.h"
#include "instanceview.h"
#include "logging.h"
#include "overviewpage.h"
#include "sidebar.h"
#include "testsystem.h"
#include "windowontestsystem.h"

#include <QAction>
#include <QItemSelectionModel>
#include <QLabel>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>

#include <sys/stat.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {

const QStringList kProgram {QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                            QStringLiteral("echo first-output; exec sleep 3600")};

double wallNowMs()
{
    return static_cast<double>(QDateTime::currentMSecsSinceEpoch());
}

double mtimeMs(const QString &path)
{
    struct stat status {
    };
    if (::stat(QFile::encodeName(path).constData(), &status) != 0)
        return -1;
    return static_cast<double>(status.st_mtim.tv_sec) * 1e3 + static_cast<double>(status.st_mtim.tv_nsec) / 1e6;
}

// "3.21 MiB" -> bytes; "75 ms (from create)" / "6.07 s (from create)" -> ms; -1 when not a figure.
double bytesIn(const QString &cell)
{
    const QRegularExpression figure(QStringLiteral("^([0-9.]+) (bytes|KiB|MiB|GiB)"));
    const QRegularExpressionMatch match = figure.match(cell);
    if (!match.hasMatch())
        return -1;
    const QString unit = match.captured(2);
    const double scale = unit == QLatin1String("KiB") ? 1024.0
        : unit == QLatin1String("MiB")                ? 1024.0 * 1024
        : unit == QLatin1String("GiB")                ? 1024.0 * 1024 * 1024
                                                      : 1.0;
    return match.captured(1).toDouble() * scale;
}

double msIn(const QString &cell)
{
    const QRegularExpressionMatch match = QRegularExpression(QStringLiteral("^([0-9.]+) (ms|s) ")).match(cell);
    if (!match.hasMatch())
        return -1;
    return match.captured(1).toDouble() * (match.captured(2) == QLatin1String("s") ? 1000.0 : 1.0);
}

// du's reading (blocks allocated, hard links once), independent of the helper's walk.
double duBytes(const QStringList &paths)
{
    QProcess du;
    du.start(QStringLiteral("du"),
             QStringList {QStringLiteral("-s"), QStringLiteral("-c"), QStringLiteral("-B1")} + paths);
    if (!du.waitForFinished(30000))
        return -1;
    const QList<QByteArray> lines = du.readAllStandardOutput().trimmed().split('\n');
    return lines.isEmpty() ? -1 : lines.last().split('\t').value(0).toDouble();
}

qulonglong keyed(const QByteArray &stat, const QByteArray &key)
{
    for (const QByteArray &line : stat.split('\n'))
        if (line.startsWith(key + ' '))
            return line.mid(key.size() + 1).trimmed().toULongLong();
    return 0;
}

// The container's memory as its cgroup files say: usage less inactive file cache.
double cgroupMemory(const QString &cgroupPath)
{
    const QString v1 = QStringLiteral("/sys/fs/cgroup/memory") + cgroupPath;
    if (QFile::exists(v1 + QStringLiteral("/memory.usage_in_bytes"))) {
        const qulonglong usage = readFile(v1 + QStringLiteral("/memory.usage_in_bytes")).trimmed().toULongLong();
        const qulonglong inactive = keyed(readFile(v1 + QStringLiteral("/memory.stat")), "total_inactive_file");
        return static_cast<double>(usage > inactive ? usage - inactive : usage);
    }
    for (const QString &root : {QStringLiteral("/sys/fs/cgroup/unified"), QStringLiteral("/sys/fs/cgroup")}) {
        const QString dir = root + cgroupPath;
        if (QFile::exists(dir + QStringLiteral("/memory.current"))) {
            const qulonglong usage = readFile(dir + QStringLiteral("/memory.current")).trimmed().toULongLong();
            const qulonglong inactive = keyed(readFile(dir + QStringLiteral("/memory.stat")), "inactive_file");
            return static_cast<double>(usage > inactive ? usage - inactive : usage);
        }
    }
    return -1;
}

double vmRss(qint64 pid)
{
    for (const QByteArray &line : readFile(QStringLiteral("/proc/%1/status").arg(pid)).split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toDouble() * 1024;
    return -1;
}

bool within10Percent(double shown, double own)
{
    return own >= 0 && shown >= 0 && std::abs(shown - own) <= 0.1 * own;
}

QString compared(const char *what, double shown, double own)
{
    return QStringLiteral("%1: shown %2, own reading %3")
        .arg(QLatin1String(what))
        .arg(shown, 0, 'f', 1)
        .arg(own, 0, 'f', 1);
}

} // namespace

class TestCompare : public QObject
{
    Q_OBJECT

    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;
    std::unique_ptr<MainWindow> m_window;
    const QString m_apartment = unique("apartment");
    const QString m_house = unique("house");
    double m_createCalledAt[2] = {0, 0};

    QVariantMap inspect(const QString &name)
    {
        const auto parts = QCoro::waitFor(m_client->inspect(name));
        return std::get_if<QVariantMap>(&parts) ? std::get<QVariantMap>(parts) : QVariantMap();
    }

    CompareDialog *openFromSelection()
    {
        InstanceView *view = m_window->instanceView();
        if (!view->selectName(m_apartment))
            return nullptr;
        // Ctrl+click on the VM's row, as a person adds it to the selection.
        for (int r = 0; r < view->model()->rowCount(); ++r) {
            const QModelIndex index = view->model()->index(r, 0);
            if (index.data(InstanceListModel::NameRole).toString() == m_house)
                view->selectionModel()->select(index, QItemSelectionModel::Select | QItemSelectionModel::Rows);
        }
        Q_EMIT view->selectionChangedByUser();
        if (!m_window->compareAction()->isEnabled())
            return nullptr;
        m_window->compareAction()->trigger();
        return visibleChild<CompareDialog>(m_window.get());
    }

private Q_SLOTS:
    void initTestCase()
    {
        Log::setup("tst_compare", false);
        QVERIFY2(startWindowOnTestSystem(m_system, m_client, m_window).isEmpty(), "the window starts");
        // The helper's QEMU probe first: a VM created during it waits for it anyway.
        QElapsedTimer probe;
        probe.start();
        while (probe.elapsed() < 120000 && !m_system.helperLog().contains(QStringLiteral("QEMU capabilities")))
            QTest::qWait(100);
        const QVariantMap container {{QStringLiteral("image"), QStringLiteral("busybox")},
                                     {QStringLiteral("network"), QStringLiteral("none")},
                                     {QStringLiteral("command"), kProgram}};
        const QVariantMap microVm {{QStringLiteral("source"), QStringLiteral("image")},
                                   {QStringLiteral("image"), QStringLiteral("busybox")},
                                   {QStringLiteral("network"), QStringLiteral("none")},
                                   {QStringLiteral("memory"), QVariant::fromValue<qulonglong>(128ULL << 20)},
                                   {QStringLiteral("command"), kProgram}};
        m_createCalledAt[0] = wallNowMs();
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), m_apartment, container), QString());
        m_createCalledAt[1] = wallNowMs();
        QCOMPARE(createAndWait(*m_client, QStringLiteral("vm"), m_house, microVm), QString());
        const QString console = m_system.stateDir() + QStringLiteral("/vms/image-vms/%1.console.log").arg(m_house);
        QTRY_VERIFY_WITH_TIMEOUT(readFile(console).contains("first-output"), 180000);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->model()->instance(m_house) && m_window->model()->instance(m_apartment),
                                 10000);
    }

    // Acceptance 2: Compare, opened from the list's selection, shows measured figures for both,
    // and they agree with the test's own readings within 10 %.
    void compare_showsWhatTheTestReadsItself()
    {
        CompareDialog *dialog = openFromSelection();
        QVERIFY2(dialog, "Compare opens for a selected container and VM");
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->cell(QStringLiteral("Host memory"), 1).isEmpty(), 20000);
        QTest::qWait(2500); // a few samples for the charts
        // Read right after a refresh: memory moves, slowly.
        QSignalSpy refreshed(dialog, &CompareDialog::refreshed);
        dialog->refresh();
        QVERIFY(refreshed.wait(20000));
        const QVariantMap partsA = inspect(m_apartment);
        const QVariantMap partsB = inspect(m_house);
        const double ownMemory[2] = {cgroupMemory(partsA.value(QStringLiteral("cgroupPath")).toString()),
                                     vmRss(partsB.value(QStringLiteral("pid")).toLongLong())};
        for (int side = 0; side < 2; ++side) {
            const double shown = bytesIn(dialog->cell(QStringLiteral("Host memory"), side));
            QVERIFY2(within10Percent(shown, ownMemory[side]),
                     qPrintable(compared("host memory", shown, ownMemory[side])));
        }

        // Disk: the container's upper dir and layers; the VM's qcow2 overlay and its image's ext4.
        QStringList vmDisks;
        for (const QVariant &disk : partsB.value(QStringLiteral("disks")).toList())
            vmDisks << disk.toMap().value(QStringLiteral("source")).toString();
        // Where the helper keeps an image's ext4 disk (README: STATE/vms/images/DIGEST.ext4).
        const QString ext4 = m_system.stateDir() + QStringLiteral("/vms/images/")
            + partsB.value(QStringLiteral("imageDigest")).toString().remove(QStringLiteral("sha256:"))
            + QStringLiteral(".ext4");
        const double ownDisk[2][2] = {{duBytes({partsA.value(QStringLiteral("rootfsUpper")).toString()}),
                                       duBytes(partsA.value(QStringLiteral("rootfsLower")).toStringList())},
                                      {duBytes(vmDisks), duBytes({ext4})}};
        for (int side = 0; side < 2; ++side) {
            const double own = bytesIn(dialog->cell(QStringLiteral("Disk, its own"), side));
            QVERIFY2(within10Percent(own, ownDisk[side][0]), qPrintable(compared("own disk", own, ownDisk[side][0])));
            const double shared = bytesIn(dialog->cell(QStringLiteral("Disk, shared image"), side));
            QVERIFY2(within10Percent(shared, ownDisk[side][1]),
                     qPrintable(compared("shared disk", shared, ownDisk[side][1])));
        }
        QVERIFY2(QFile::exists(ext4), qPrintable(ext4));

        // Start to first output: the line's time is the output file's mtime (the program writes
        // one line, then sleeps); the start is no earlier than the test's own create call.
        const QString files[2] = {m_system.stateDir() + QStringLiteral("/containers/%1/container.log").arg(m_apartment),
                                  m_system.stateDir() + QStringLiteral("/vms/image-vms/%1.console.log").arg(m_house)};
        const QVariantMap parts[2] = {partsA, partsB};
        for (int side = 0; side < 2; ++side) {
            const QVariantMap measured = parts[side].value(QStringLiteral("measured")).toMap();
            const double shown = msIn(dialog->cell(QStringLiteral("Start to first output"), side));
            const double began = measured.value(QStringLiteral("firstOutputBeganAtMs")).toDouble();
            const double line = mtimeMs(files[side]);
            QVERIFY2(shown > 0,
                     qPrintable(QStringLiteral("side %1: %2")
                                    .arg(side)
                                    .arg(dialog->cell(QStringLiteral("Start to first output"), side))));
            QVERIFY2(
                began >= m_createCalledAt[side] - 1 && began <= line,
                qPrintable(QStringLiteral("the clock started at %1, the test called create at %2, the line came at %3")
                               .arg(began, 0, 'f', 1)
                               .arg(m_createCalledAt[side], 0, 'f', 1)
                               .arg(line, 0, 'f', 1)));
            // The shown figure is rounded ("75 ms", "6.07 s"): 10 % and a millisecond.
            QVERIFY2(std::abs(shown - (line - began)) <= 0.1 * (line - began) + 1,
                     qPrintable(compared("start to first output (ms)", shown, line - began)));
        }
        QVERIFY(dialog->cell(QStringLiteral("Kernel"), 0).startsWith(QStringLiteral("the host's, shared")));
        QVERIFY(dialog->cell(QStringLiteral("Kernel"), 1).startsWith(QStringLiteral("its own")));
        QVERIFY(dialog->cell(QStringLiteral("Walls"), 0).contains(QStringLiteral("pivot_root")));
        QVERIFY(dialog->cell(QStringLiteral("Walls"), 1).contains(QStringLiteral("TCG"))
                || dialog->cell(QStringLiteral("Walls"), 1).contains(QStringLiteral("KVM")));
        // Both charts draw both instances.
        QTRY_VERIFY_WITH_TIMEOUT(dialog->memoryChart()->pointCount(0) > 0 && dialog->memoryChart()->pointCount(1) > 0,
                                 10000);
        QVERIFY(dialog->cpuChart()->pointCount(0) > 0 && dialog->cpuChart()->pointCount(1) > 0);
        // Export: the same table, as Markdown.
        const QString markdown = dialog->exported(true);
        QVERIFY2(markdown.contains(QStringLiteral("| Host memory | %1 | %2 |")
                                       .arg(dialog->cell(QStringLiteral("Host memory"), 0),
                                            dialog->cell(QStringLiteral("Host memory"), 1))),
                 qPrintable(markdown));
        QVERIFY(dialog->exported(false).contains(QStringLiteral("How each figure was read")));
        QVERIFY(dialog->grab().save(outputPath(QStringLiteral("compare.png"))));
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("compare-window.png"))));
        dialog->close();
    }

    // What is not measured says why: a container with a terminal writes no log to time.
    void compare_unmeasuredFirstOutputSaysWhy()
    {
        const QString name = unique("tty");
        const QVariantMap spec {
            {QStringLiteral("image"), QStringLiteral("busybox")},
            {QStringLiteral("network"), QStringLiteral("none")},
            {QStringLiteral("tty"), true},
            {QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("600")}}};
        QCOMPARE(createAndWait(*m_client, QStringLiteral("container"), name, spec), QString());
        QTRY_VERIFY(m_window->model()->instance(name));
        CompareDialog *dialog = m_window->compare(name, m_apartment);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->cell(QStringLiteral("Start to first output"), 0).isEmpty(), 20000);
        QCOMPARE(dialog->cell(QStringLiteral("Start to first output"), 0),
                 QStringLiteral("unknown: a container with a terminal keeps no log: its output goes to the terminal "
                                "only"));
        QVERIFY(msIn(dialog->cell(QStringLiteral("Start to first output"), 1)) > 0);
        dialog->close();
        QVERIFY(!QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete"))).index());
    }

    // hamletctl compare prints the same table from the same measurements; a missing instance is
    // NotFound, a wrong number of names is a usage error.
    void hamletctlCompare_printsTheSameTable()
    {
        const Run run
            = m_system.run(TestSystem::AllowedUser, TestSystem::ctlProgram(),
                           {QStringLiteral("compare"), m_apartment, m_house, QStringLiteral("--markdown")}, 60000);
        QVERIFY(run.finished);
        QCOMPARE(run.exitCode, 0);
        const QString out = QString::fromUtf8(run.out);
        QVERIFY2(out.startsWith(QStringLiteral("| | %1 | %2 |").arg(m_apartment, m_house)), qPrintable(out));
        QVERIFY2(
            out.contains(QRegularExpression(QStringLiteral(
                "\\| Start to first output \\| [0-9.]+ m?s \\(from create\\) \\| [0-9.]+ m?s \\(from create\\) \\|"))),
            qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("| Kernel | the host's, shared")), qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("QEMU's resident set")), qPrintable(out));
        const Run missing
            = m_system.run(TestSystem::AllowedUser, TestSystem::ctlProgram(),
                           {QStringLiteral("compare"), m_apartment, QStringLiteral("no-such-instance")}, 60000);
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains("dev.hamlet.Error.NotFound") || missing.err.contains("UnknownObject"),
                 missing.err.constData());
        QVERIFY(missing.out.isEmpty());
        const Run alone = m_system.run(TestSystem::AllowedUser, TestSystem::ctlProgram(),
                                       {QStringLiteral("compare"), m_apartment}, 60000);
        QCOMPARE(alone.exitCode, 2);
    }

    // The Overview says what walls each has; the host page explains both and links to Compare.
    void overviewAndHostPage_sayWhatWallsThereAre()
    {
        QVERIFY(m_window->showInstance(m_house));
        QTRY_VERIFY_WITH_TIMEOUT(
            m_window->details()->overview()->text().contains(QStringLiteral("What walls this instance has")), 20000);
        QVERIFY(m_window->details()->overview()->text().contains(QStringLiteral("hypervisor (QEMU)")));
        QVERIFY(m_window->showInstance(m_apartment));
        QTRY_VERIFY_WITH_TIMEOUT(
            m_window->details()->overview()->text().contains(QStringLiteral("pivot_root, namespaces")), 20000);
        QVERIFY(m_window->details()->grab().save(outputPath(QStringLiteral("overview-walls.png"))));
        m_window->instanceView()->clearSelection();
        Q_EMIT m_window->instanceView()->selectionChangedByUser();
        auto *welcome = m_window->findChild<QLabel *>(QStringLiteral("hostWelcome"));
        QVERIFY(welcome && welcome->isVisible());
        QVERIFY(welcome->text().contains(QStringLiteral("compare:")));
        QVERIFY(m_window->grab().save(outputPath(QStringLiteral("host-page.png"))));
        m_window->compareFromHostPage(); // the newest container and VM
        CompareDialog *dialog = visibleChild<CompareDialog>(m_window.get());
        QVERIFY(dialog);
        QVERIFY(dialog->windowTitle().contains(m_house));
        dialog->close();
    }

    // Run both ways on the Images page: a container and a micro-VM of the image, then Compare.
    void runBothWays_makesAContainerAndAVmAndComparesThem()
    {
        m_window->sidebar()->select(Sidebar::Images);
        ImagesPage *page = m_window->imagesPage();
        QTRY_VERIFY_WITH_TIMEOUT(page->selectImage(QStringLiteral("busybox")), 10000);
        QVERIFY(page->runBothWaysAction()->isEnabled());
        const QStringList before = instanceNames(*m_client);
        page->runBothWaysAction()->trigger();
        CompareDialog *dialog = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((dialog = visibleChild<CompareDialog>(m_window.get())), 120000);
        QStringList made = instanceNames(*m_client);
        for (const QString &name : before)
            made.removeAll(name);
        made.sort();
        QCOMPARE(made, (QStringList {QStringLiteral("busybox-ct"), QStringLiteral("busybox-vm")}));
        QCOMPARE(dialog->windowTitle(), QStringLiteral("Compare busybox-ct and busybox-vm"));
        QTRY_COMPARE_WITH_TIMEOUT(dialog->cell(QStringLiteral("Kind"), 1), QStringLiteral("VM (a house)"), 20000);
        dialog->close();
        for (const QString &name : made)
            QCOMPARE(QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete"))).index(), 0u);
    }

    void cleanupTestCase()
    {
        m_window.reset();
        for (const QString &name : {m_apartment, m_house})
            QCoro::waitFor(m_client->instanceCall(name, QStringLiteral("Delete")));
    }
};

QTEST_MAIN(TestCompare)
#include "tst_compare.moc"
