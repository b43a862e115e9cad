#include "libvirtconnection.h"
#include "logging.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "awaittask.h"

using namespace Hamlet;
using namespace Hamlet::Vms;

// LibvirtConnection against a real libvirtd that the test starts on private sockets, kills and
// starts again: calls fail at once while it is gone, and the connection comes back by itself.
using Hamlet::Test::await;

class TestLibvirtReconnect : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir {QStringLiteral("/tmp/hlv-XXXXXX")};
    QProcess m_daemon;

    QString socketPath() const { return m_dir.filePath(QStringLiteral("sock/libvirt-sock")); }
    QString uri() const { return QStringLiteral("qemu+unix:///system?socket=%1").arg(socketPath()); }

    bool startDaemon()
    {
        m_daemon.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_daemon.start(QStringLiteral("libvirtd"),
                       {QStringLiteral("--config"), m_dir.filePath(QStringLiteral("libvirtd.conf")),
                        QStringLiteral("--pid-file"), m_dir.filePath(QStringLiteral("pid"))});
        if (!m_daemon.waitForStarted())
            return false;
        QElapsedTimer timer;
        timer.start();
        while (!QFile::exists(socketPath()) && timer.elapsed() < 15000)
            QTest::qWait(50);
        return QFile::exists(socketPath());
    }

    void killDaemon()
    {
        if (m_daemon.state() == QProcess::NotRunning)
            return;
        m_daemon.kill(); // as a crash would: no goodbye to clients
        m_daemon.waitForFinished();
        QFile::remove(socketPath()); // libvirtd refuses to start over a leftover socket's pid file
        QFile::remove(m_dir.filePath(QStringLiteral("pid")));
    }

    static QCoro::Task<Result<unsigned long>> libraryVersion(LibvirtConnection &connection)
    {
        return connection.run<unsigned long>([](virConnectPtr c) -> Result<unsigned long> {
            unsigned long version = 0;
            if (virConnectGetLibVersion(c, &version) < 0)
                return lastLibvirtError(QStringLiteral("Cannot ask libvirtd its version"));
            return version;
        });
    }

private Q_SLOTS:
    void initTestCase()
    {
        Log::setup("tst_libvirtreconnect", false);
        QVERIFY(m_dir.isValid());
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("sock"))));
        QFile config(m_dir.filePath(QStringLiteral("libvirtd.conf")));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(QStringLiteral("unix_sock_dir = \"%1/sock\"\nauth_unix_rw = \"none\"\nauth_unix_ro = \"none\"\n")
                         .arg(m_dir.path())
                         .toUtf8());
    }

    void reconnectDelay_backsOffAndLevelsOut()
    {
        QCOMPARE(LibvirtConnection::reconnectDelay(0).count(), 250);
        QCOMPARE(LibvirtConnection::reconnectDelay(1).count(), 500);
        QCOMPARE(LibvirtConnection::reconnectDelay(3).count(), 2000);
        QCOMPARE(LibvirtConnection::reconnectDelay(40).count(), 2000);
    }

    void open_withoutDaemon_failsWithTheUriThenConnectsWhenItAppears()
    {
        LibvirtConnection connection(uri());
        QSignalSpy connected(&connection, &LibvirtConnection::connected);
        const Result<void> opened = await(connection.open());
        QVERIFY(!opened.ok());
        QVERIFY2(opened.error().message.contains(uri()), qPrintable(opened.error().message));
        const Result<unsigned long> meanwhile = await(libraryVersion(connection));
        QCOMPARE(meanwhile.error().name, Error::Busy);

        QVERIFY(startDaemon());
        QVERIFY(connected.wait(20000));
        QVERIFY(await(libraryVersion(connection)).ok());
    }

    void daemonRestart_failsCallsMeanwhileAndReconnects()
    {
        LibvirtConnection connection(uri());
        QVERIFY(await(connection.open()).ok());
        QVERIFY(await(libraryVersion(connection)).ok());
        QSignalSpy disconnected(&connection, &LibvirtConnection::disconnected);
        QSignalSpy connected(&connection, &LibvirtConnection::connected);

        QElapsedTimer timer;
        timer.start();
        killDaemon();
        QVERIFY(disconnected.wait(20000));
        qInfo("disconnect noticed %lld ms after libvirtd was killed: %s", timer.elapsed(),
              qPrintable(disconnected.first().first().toString()));
        QVERIFY(!connection.isConnected());
        timer.restart();
        const Result<unsigned long> meanwhile = await(libraryVersion(connection));
        QVERIFY(!meanwhile.ok());
        QVERIFY(timer.elapsed() < 1000); // fails at once, does not hang
        QCOMPARE(meanwhile.error().name, Error::Busy);
        QVERIFY2(meanwhile.error().message.contains(QStringLiteral("reconnecting")),
                 qPrintable(meanwhile.error().message));

        QVERIFY(startDaemon());
        timer.restart();
        QVERIFY(connected.wait(20000));
        qInfo("reconnected %lld ms after libvirtd was back", timer.elapsed());
        QVERIFY(await(libraryVersion(connection)).ok());
    }

    void cleanupTestCase() { killDaemon(); }
};

int main(int argc, char **argv)
{
    LibvirtConnection::prepareProcess();
    QCoreApplication app(argc, argv);
    TestLibvirtReconnect test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_libvirtreconnect.moc"
