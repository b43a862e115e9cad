// The Flatpak of the GUI against the real host side. The app, built from the release manifest by
// tests/packaging/build-flatpak (the ctest fixture before this test), runs in flatpak's sandbox as
// the unprivileged test user; hamlet-helper from the build tree runs as root on the test's private
// system bus, which flatpak's xdg-dbus-proxy connects to because DBUS_SYSTEM_BUS_ADDRESS names
// it (flatpak proxies whatever that variable says, else /run/dbus/system_bus_socket); real
// polkitd answers with the test rules. Nothing here is mocked.
#include "clienttest.h"
#include "dbusnames.h"
#include "testsystem.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDir>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <QCoro/QCoroTask>
#include <optional>
#include <pwd.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {
const QString AppId = QStringLiteral("dev.hamlet.Hamlet");

QString outputPath(const QString &name)
{
    const QString dir = qEnvironmentVariable("HAMLET_TEST_OUTPUT", QDir::tempPath());
    QDir().mkpath(dir);
    return dir + QLatin1Char('/') + name;
}

bool chownTo(const QString &path, const QString &user)
{
    const passwd *account = ::getpwnam(user.toLocal8Bit().constData());
    return account && ::chown(path.toLocal8Bit().constData(), account->pw_uid, account->pw_gid) == 0;
}

Run finish(QProcess &process, int timeoutMs)
{
    Run result;
    result.finished = process.waitForFinished(timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(3000);
    }
    result.exitCode = process.exitCode();
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QByteArray describe(const Run &run)
{
    return "exit " + QByteArray::number(run.exitCode) + (run.finished ? "" : " (timed out)") + "\nstdout:\n" + run.out
        + "\nstderr:\n" + run.err;
}
} // namespace

class TestFlatpak : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    const QString m_installation = qEnvironmentVariable("HAMLET_FLATPAK_INSTALLATION");
    // The test user's HOME, XDG_RUNTIME_DIR and files to import; not under /tmp, which is the
    // sandbox's own.
    QTemporaryDir m_home {(m_installation.isEmpty() ? QDir::tempPath() : m_installation + QStringLiteral("/.."))
                          + QStringLiteral("/home-XXXXXX")};
    QProcess m_xvfb;
    QString m_display;

    // A login session of the test user as flatpak needs it, with no Hamlet variables: inside
    // the sandbox the client must find the helper on "the system bus" like any installed app.
    QStringList userEnvironment() const
    {
        return {QStringLiteral("PATH=/usr/local/bin:/usr/bin:/bin"),
                QStringLiteral("HOME=") + m_home.path(),
                QStringLiteral("XDG_RUNTIME_DIR=") + m_home.filePath(QStringLiteral("runtime")),
                QStringLiteral("FLATPAK_SYSTEM_DIR=") + m_installation,
                QStringLiteral("FLATPAK_USER_DIR=") + m_home.filePath(QStringLiteral("flatpak")),
                QStringLiteral("DBUS_SYSTEM_BUS_ADDRESS=") + m_system.busAddress(),
                QStringLiteral("DISPLAY=") + m_display,
                QStringLiteral("LANG=C.UTF-8")};
    }

    std::unique_ptr<QProcess> startFlatpak(const QStringList &arguments) const
    {
        auto process = std::make_unique<QProcess>();
        process->setEnvironment(userEnvironment());
        const QString user = TestSystem::AllowedUser;
        process->start(QStringLiteral("setpriv"),
                       QStringList {QStringLiteral("--reuid=") + user, QStringLiteral("--regid=") + user,
                                    QStringLiteral("--clear-groups"), QStringLiteral("--"), QStringLiteral("flatpak")}
                           + arguments);
        process->waitForStarted(5000);
        return process;
    }

    Run flatpak(const QStringList &arguments, int timeoutMs = 60000) const
    {
        const auto process = startFlatpak(arguments);
        return finish(*process, timeoutMs);
    }

    Run hamletctl(const QStringList &runOptions, const QStringList &arguments) const
    {
        return flatpak(QStringList {QStringLiteral("run")} + runOptions
                       + QStringList {QStringLiteral("--command=hamletctl"), AppId} + arguments);
    }

    bool windowShown(const QByteArray &title) const
    {
        QProcess xwininfo;
        xwininfo.start(QStringLiteral("xwininfo"),
                       {QStringLiteral("-display"), m_display, QStringLiteral("-root"), QStringLiteral("-tree")});
        xwininfo.waitForFinished(5000);
        return xwininfo.readAllStandardOutput().contains("\"" + title + "\"");
    }

    bool screenshot(const QString &name) const
    {
        QProcess import;
        import.start(QStringLiteral("import"),
                     {QStringLiteral("-display"), m_display, QStringLiteral("-window"), QStringLiteral("root"),
                      outputPath(name)});
        return import.waitForFinished(20000) && import.exitCode() == 0;
    }

    // The GUI in the sandbox until its main window is up and the helper was asked (or not) for
    // its capabilities; then a screenshot. Returns the program that sent GetCapabilities on the
    // host bus ("" if none did), asked while the GUI still runs.
    std::optional<QString> runGuiAndCapture(const QStringList &runOptions, const QString &screenshotName)
    {
        QProcess monitor;
        monitor.start(QStringLiteral("dbus-monitor"),
                      {QStringLiteral("--address"), m_system.busAddress(),
                       QStringLiteral("type='method_call',member='GetCapabilities'")});
        monitor.waitForStarted(5000);
        QTest::qWait(500);
        const auto gui = startFlatpak(QStringList {QStringLiteral("run")} + runOptions + QStringList {AppId});
        bool shown = false;
        for (int attempt = 0; attempt < 150 && !shown; ++attempt) {
            QTest::qWait(200);
            shown = windowShown("Hamlet");
        }
        QTest::qWait(3000); // the first call and its answer on screen
        const bool captured = screenshot(screenshotName);
        // "method call time=... sender=:1.7 -> destination=dev.hamlet.Helper1 ..."
        const QByteArray seen = monitor.readAllStandardOutput();
        const auto match = QRegularExpression(QStringLiteral("sender=(:[0-9.]+) -> destination=dev\\.hamlet\\.Helper1"))
                               .match(QString::fromUtf8(seen));
        const QString sender = match.hasMatch() ? programOf(match.captured(1)) : QString();
        monitor.terminate();
        monitor.waitForFinished(3000);
        const bool running = gui->state() == QProcess::Running;
        gui->terminate();
        if (!gui->waitForFinished(10000))
            gui->kill();
        if (!shown || !captured || !running) {
            const QByteArray output = gui->readAllStandardOutput() + gui->readAllStandardError();
            qWarning("window shown: %d, screenshot: %d, still running: %d; output:\n%s", shown, captured, running,
                     output.constData());
            return std::nullopt;
        }
        return sender;
    }

    // The program behind a bus connection, asked from the bus itself.
    QString programOf(const QString &busName) const
    {
        QDBusConnection bus = QDBusConnection::connectToBus(m_system.busAddress(), QStringLiteral("tst_flatpak"));
        const QDBusReply<uint> pid = bus.interface()->servicePid(busName);
        return pid.isValid() ? QString::fromUtf8(readFile(QStringLiteral("/proc/%1/comm").arg(pid.value()))).trimmed()
                             : pid.error().message();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "this test runs as root (helper, polkitd, test users)");
        QVERIFY2(!m_installation.isEmpty() && QFileInfo::exists(m_installation + QStringLiteral("/app/") + AppId),
                 "no Flatpak installation: run the flatpak-build fixture (tests/packaging/build-flatpak)");
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));

        for (const QString &dir : {QStringLiteral("runtime"), QStringLiteral("files")})
            QVERIFY(QDir(m_home.path()).mkpath(dir));
        QFile::setPermissions(m_home.filePath(QStringLiteral("runtime")),
                              QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        for (const QString &path :
             {m_home.path(), m_home.filePath(QStringLiteral("runtime")), m_home.filePath(QStringLiteral("files"))})
            QVERIFY(chownTo(path, TestSystem::AllowedUser));

        // An X server that any local user may use, like a desktop session's.
        m_xvfb.start(QStringLiteral("Xvfb"),
                     {QStringLiteral("-displayfd"), QStringLiteral("1"), QStringLiteral("-ac"),
                      QStringLiteral("-nolisten"), QStringLiteral("tcp"), QStringLiteral("-screen"),
                      QStringLiteral("0"), QStringLiteral("1280x800x24")});
        QVERIFY(m_xvfb.waitForStarted(5000));
        QTRY_VERIFY_WITH_TIMEOUT(m_xvfb.canReadLine(), 20000);
        m_display = QLatin1Char(':') + QString::fromUtf8(m_xvfb.readLine()).trimmed();
    }

    void cleanupTestCase()
    {
        m_xvfb.terminate();
        m_xvfb.waitForFinished(5000);
    }

    void thePermissionsAreTheHelpersNameAndNoMore()
    {
        const Run info = flatpak({QStringLiteral("info"), QStringLiteral("--show-permissions"), AppId});
        QVERIFY2(info.exitCode == 0, describe(info));
        QVERIFY2(info.out.contains("[System Bus Policy]\ndev.hamlet.Helper1=talk"), describe(info));
        QVERIFY2(!info.out.contains("system-bus"), describe(info)); // no --socket=system-bus
        QVERIFY2(!info.out.contains("org.freedesktop.Flatpak"), describe(info)); // no flatpak-spawn --host
        QVERIFY2(!info.out.contains("filesystems=host"), describe(info));
    }

    void hamletctlReachesTheHostHelperThroughTheProxy()
    {
        const Run caps = hamletctl({}, {QStringLiteral("capabilities")});
        QVERIFY2(caps.exitCode == 0, describe(caps));
        QVERIFY2(caps.out.contains("version"), describe(caps));
        QVERIFY2(caps.out.contains("runc"), describe(caps));
    }

    void anImportPassesAFileDescriptorFromTheSandbox()
    {
        // A root file system tarball in a directory the sandbox is given read-only; hamletctl
        // opens it inside the sandbox and hands the descriptor to the helper.
        const QString tree = m_home.filePath(QStringLiteral("files/tree"));
        QVERIFY(QDir().mkpath(tree + QStringLiteral("/etc")));
        QFile marker(tree + QStringLiteral("/etc/hello"));
        QVERIFY(marker.open(QIODevice::WriteOnly) && marker.write("from the sandbox\n") > 0);
        marker.close();
        const QString archive = m_home.filePath(QStringLiteral("files/rootfs.tar"));
        QCOMPARE(QProcess::execute(QStringLiteral("tar"),
                                   {QStringLiteral("-C"), tree, QStringLiteral("-cf"), archive, QStringLiteral(".")}),
                 0);
        QVERIFY(chownTo(archive, TestSystem::AllowedUser));

        const Run imported = hamletctl(
            {QStringLiteral("--filesystem=") + m_home.filePath(QStringLiteral("files")) + QStringLiteral(":ro")},
            {QStringLiteral("import"), archive, QStringLiteral("rootfs"), QStringLiteral("name=from-flatpak")});
        QVERIFY2(imported.exitCode == 0, describe(imported));

        HelperClient host(m_system.busAddress());
        const auto images = QCoro::waitFor(host.listImages());
        const auto *list = std::get_if<VariantMapList>(&images);
        QVERIFY(list);
        bool found = false;
        for (const QVariantMap &image : *list)
            found = found || image.value(QStringLiteral("name")).toString().contains(QStringLiteral("from-flatpak"));
        QVERIFY2(found, describe(imported));
        QCoro::waitFor(host.removeImage(QStringLiteral("from-flatpak")));
    }

    void theGuiStartsAndAsksTheHostHelperThroughTheProxy()
    {
        const auto sender = runGuiAndCapture({}, QStringLiteral("flatpak-gui-xvfb.png"));
        QVERIFY2(sender, "the GUI did not show its window (see the warning)");
        // The call came from flatpak's bus proxy, not from a process with the bus socket itself.
        QCOMPARE(*sender, QStringLiteral("xdg-dbus-proxy"));
    }

    void withoutTheTalkPermissionTheClientSaysWhatIsMissing()
    {
        const QStringList revoke {QStringLiteral("--system-no-talk-name=") + Bus::ServiceName};
        const Run caps = hamletctl(revoke, {QStringLiteral("capabilities")});
        QVERIFY2(caps.exitCode != 0, describe(caps));
        QVERIFY2(caps.err.contains("not allowed to talk to the Hamlet helper"), describe(caps));
        QVERIFY2(caps.err.contains("flatpak override --user --system-talk-name=dev.hamlet.Helper1 dev.hamlet.Hamlet"),
                 describe(caps));

        // The GUI shows the same advice in its banner (see the screenshot); no call reaches the helper.
        const auto sender = runGuiAndCapture(revoke, QStringLiteral("flatpak-gui-no-permission.png"));
        QVERIFY2(sender, "the GUI did not show its window (see the warning)");
        QVERIFY2(sender->isEmpty(), qPrintable(QStringLiteral("GetCapabilities reached the helper from ") + *sender));
    }

    void withTheHelperMissingOnTheHostTheClientAsksForTheHostPackage()
    {
        m_system.stopHelper();
        const Run caps = hamletctl({}, {QStringLiteral("capabilities")});
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        QVERIFY2(caps.exitCode != 0, describe(caps));
        QVERIFY2(caps.err.contains("install the hamlet-helper package of your distribution on the host"),
                 describe(caps));
        QVERIFY2(!caps.err.contains("override"), describe(caps));
    }
};

QTEST_GUILESS_MAIN(TestFlatpak)
#include "tst_flatpak.moc"
