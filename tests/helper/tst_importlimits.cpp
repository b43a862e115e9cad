// What imports and new disks may take from the host: no shared thread for a caller's stalled
// pipe, and never more disk space than there is (real bus, polkitd, helper).
#include "clienttest.h"
#include "tarbuilder.h"
#include "testsystem.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <QCoro/QCoroTask>
#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <thread>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Test;

namespace {
quint64 freeBytes(const QString &dir)
{
    struct statvfs info {
    };
    return ::statvfs(QFile::encodeName(dir).constData(), &info) == 0
        ? static_cast<quint64>(info.f_bavail) * info.f_frsize
        : 0;
}

QStringList filesBelow(const QString &dir)
{
    QStringList files;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    files.sort();
    return files;
}
} // namespace

class TestImportLimits : public QObject
{
    Q_OBJECT
private:
    TestSystem m_system;
    std::unique_ptr<HelperClient> m_client;
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(::geteuid() == 0, "these tests run as root");
        ::signal(SIGPIPE, SIG_IGN); // a pipe the helper closed must fail a write, not end the test
        QVERIFY2(m_system.startBus(), qPrintable(m_system.error()));
        // The image store on a small filesystem of its own, so "full" can be reached for real.
        const QString images = m_system.stateDir() + QStringLiteral("/images");
        QVERIFY(QDir().mkpath(images));
        QCOMPARE(::mount("tmpfs", QFile::encodeName(images).constData(), "tmpfs", 0, "size=96m,mode=0700"), 0);
        QVERIFY2(m_system.startHelper(), qPrintable(m_system.error()));
        m_client = std::make_unique<HelperClient>(m_system.busAddress());
    }

    void stalledPipes_doNotStarveOtherCalls()
    {
        // More imports waiting on silent pipes than Qt's global pool has threads.
        const int stalled = QThread::idealThreadCount() + 2;
        QList<int> writers;
        QStringList jobs;
        for (int i = 0; i < stalled; ++i) {
            int fds[2];
            QCOMPARE(::pipe2(fds, O_CLOEXEC), 0);
            const auto job = QCoro::waitFor(m_client->importImage(fds[0], QStringLiteral("docker-archive"), {}));
            ::close(fds[0]);
            QVERIFY(std::holds_alternative<QString>(job));
            jobs << std::get<QString>(job);
            writers << fds[1];
        }
        QTest::qWait(500); // every import is waiting in read()
        QElapsedTimer timer;
        timer.start();
        const auto images = QCoro::waitFor(m_client->listImages());
        QVERIFY(std::holds_alternative<VariantMapList>(images));
        QVERIFY2(timer.elapsed() < 10000, qPrintable(QString::number(timer.elapsed())));
        for (const QString &job : jobs) {
            QVERIFY(std::holds_alternative<bool>(QCoro::waitFor(m_client->cancelJob(job))));
            QVERIFY(std::holds_alternative<ClientError>(QCoro::waitFor(m_client->waitForJob(job))));
        }
        for (int fd : writers)
            ::close(fd);
    }

    void fileLargerThanTheFreeSpace_isRefusedBeforeAnyWork()
    {
        const QString images = m_system.stateDir() + QStringLiteral("/images");
        const QStringList before = filesBelow(images);
        // Sparse: it costs nothing here, but claims more than the store's filesystem holds.
        QFile huge(m_dir.filePath(QStringLiteral("huge.tar")));
        QVERIFY(huge.open(QIODevice::ReadWrite));
        QVERIFY(huge.resize(static_cast<qint64>(freeBytes(images) + (8ull << 20))));
        huge.close();
        const int fd = ::open(QFile::encodeName(huge.fileName()).constData(), O_RDONLY | O_CLOEXEC);
        const auto job = QCoro::waitFor(m_client->importImage(fd, QStringLiteral("docker-archive"), {}));
        ::close(fd);
        QCOMPARE(errorName(job), QStringLiteral("dev.hamlet.Error.InvalidArgument"));
        QVERIFY2(std::get<ClientError>(job).message.contains(QStringLiteral("not enough space on")),
                 qPrintable(std::get<ClientError>(job).message));
        QCOMPARE(filesBelow(images), before);
    }

    void streamThatOutgrowsTheFreeSpace_failsAndLeavesNothing()
    {
        const QString images = m_system.stateDir() + QStringLiteral("/images");
        const QStringList before = filesBelow(images);
        const QByteArray archive = makeTar({{"blob", AE_IFREG, QByteArray(80 << 20, 'x')}});
        int fds[2];
        QCOMPARE(::pipe2(fds, O_CLOEXEC), 0);
        // The writer stops when the helper stops reading (it keeps its end of the pipe a while).
        std::atomic_bool stop = false;
        ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
        std::thread writer([fd = fds[1], archive, &stop] {
            qsizetype done = 0;
            while (done < archive.size() && !stop) {
                pollfd ready {fd, POLLOUT, 0};
                if (::poll(&ready, 1, 100) <= 0)
                    continue;
                const ssize_t n = ::write(fd, archive.constData() + done, static_cast<size_t>(archive.size() - done));
                if (n < 0 && errno != EAGAIN)
                    break;
                done += std::max<ssize_t>(n, 0);
            }
            ::close(fd);
        });
        const auto job = QCoro::waitFor(m_client->importImage(fds[0], QStringLiteral("docker-archive"), {}));
        ::close(fds[0]);
        QVERIFY(std::holds_alternative<QString>(job));
        const auto done = QCoro::waitFor(m_client->waitForJob(std::get<QString>(job)));
        stop = true;
        writer.join();
        QCOMPARE(errorName(done), QStringLiteral("dev.hamlet.Error.Failed"));
        QVERIFY2(std::get<ClientError>(done).message.contains(QStringLiteral("not enough space on")),
                 qPrintable(std::get<ClientError>(done).message));
        QTRY_COMPARE(filesBelow(images), before);
    }

    void vmDiskLargerThanTheFreeSpace_isRefused()
    {
        QFile iso(m_dir.filePath(QStringLiteral("installer.iso")));
        QVERIFY(iso.open(QIODevice::WriteOnly));
        iso.write(QByteArray(64 * 1024, '\0'));
        iso.close();
        const quint64 tooMuch = freeBytes(m_system.stateDir()) + (1ull << 30);
        const auto job
            = QCoro::waitFor(m_client->createVm(QStringLiteral("bigdisk"),
                                                {{QStringLiteral("source"), QStringLiteral("iso")},
                                                 {QStringLiteral("iso"), iso.fileName()},
                                                 {QStringLiteral("diskSize"), QVariant::fromValue(tooMuch)}}));
        QCOMPARE(errorName(job), QStringLiteral("dev.hamlet.Error.InvalidArgument"));
        QVERIFY2(std::get<ClientError>(job).message.contains(QStringLiteral("not enough space on")),
                 qPrintable(std::get<ClientError>(job).message));
        QVERIFY(!QFile::exists(m_system.stateDir() + QStringLiteral("/vms/disks/bigdisk.qcow2")));
    }
};

QTEST_GUILESS_MAIN(TestImportLimits)
#include "tst_importlimits.moc"
