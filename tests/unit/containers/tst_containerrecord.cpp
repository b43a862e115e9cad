#include "containerrecord.h"
#include "fsutil.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <unistd.h>

using namespace Hamlet::Containers;

class TestContainerRecord : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void record_roundTripsThroughItsFile()
    {
        ContainerRecord record;
        record.spec.name = QStringLiteral("web1");
        record.spec.image = QStringLiteral("busybox");
        record.spec.memory = 67108864;
        record.state = ContainerState::Paused;
        record.exitCode = 3;
        record.stoppedByUser = true;
        record.createdAt = QDateTime::fromMSecsSinceEpoch(1700000000123, Qt::UTC);
        record.diffIds = {QStringLiteral("sha256:aa")};
        record.lowerDirs = {QStringLiteral("/l2"), QStringLiteral("/l1")};
        record.imageConfig.cmd = {QStringLiteral("/bin/sh")};
        const QString path = m_dir.filePath(QStringLiteral("web1.json"));
        QVERIFY(record.save(path).ok());
        QVERIFY(!QFile::exists(path + QStringLiteral(".tmp")));
        const auto loaded = ContainerRecord::load(path);
        QVERIFY(loaded.ok());
        QCOMPARE(loaded->spec, record.spec);
        QCOMPARE(toString(loaded->state), QStringLiteral("paused"));
        QCOMPARE(loaded->exitCode, 3);
        QCOMPARE(loaded->stoppedByUser, true);
        QCOMPARE(loaded->createdAt, record.createdAt);
        QVERIFY(!loaded->startedAt.isValid());
        QCOMPARE(loaded->lowerDirs, record.lowerDirs);
        QCOMPARE(loaded->imageConfig, record.imageConfig);
    }

    void record_damagedFileIsAnErrorNotACrash()
    {
        const QString path = m_dir.filePath(QStringLiteral("bad.json"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"spec\": {");
        file.close();
        QVERIFY(!ContainerRecord::load(path).ok());
        QCOMPARE(ContainerRecord::load(m_dir.filePath(QStringLiteral("none.json"))).error().name,
                 Hamlet::Error::NotFound);
    }

    void states_haveTheContractsNames()
    {
        for (const QString &name : {QStringLiteral("creating"), QStringLiteral("running"), QStringLiteral("paused"),
                                    QStringLiteral("stopped"), QStringLiteral("failed")})
            QCOMPARE(toString(containerStateFromString(name)), name);
    }

    void writeFileAtomically_replacesWholeFiles()
    {
        const QString path = m_dir.filePath(QStringLiteral("atomic"));
        QVERIFY(writeFileAtomically(path, "first version, long").ok());
        QVERIFY(writeFileAtomically(path, "second").ok());
        QCOMPARE(readSmallFile(path), QByteArray("second"));
        QVERIFY(!writeFileAtomically(m_dir.filePath(QStringLiteral("no/such/dir/file")), "x").ok());
    }

    void capLogFile_keepsTheTailAndTheWritersFd()
    {
        const QString path = m_dir.filePath(QStringLiteral("container.log"));
        const int writer = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        QVERIFY(writer >= 0);
        QByteArray lines;
        for (int i = 0; i < 2000; ++i)
            lines += "line " + QByteArray::number(i) + '\n';
        QCOMPARE(::write(writer, lines.constData(), lines.size()), lines.size());
        capLogFile(path, 4096);
        const QByteArray capped = readSmallFile(path);
        QVERIFY(capped.size() <= 4096);
        QVERIFY(capped.startsWith("[hamlet: older output was dropped"));
        QVERIFY(capped.endsWith("line 1999\n"));
        QVERIFY(!capped.contains("line 1000\n"));
        // The container's O_APPEND fd goes on writing at the new end.
        QCOMPARE(::write(writer, "after\n", 6), 6);
        QVERIFY(readSmallFile(path).endsWith("line 1999\nafter\n"));
        ::close(writer);
        capLogFile(path, 1024 * 1024); // under the limit: untouched
        QVERIFY(readSmallFile(path).endsWith("after\n"));
    }
};

QTEST_GUILESS_MAIN(TestContainerRecord)
#include "tst_containerrecord.moc"
