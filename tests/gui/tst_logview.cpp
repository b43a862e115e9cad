// LogView following a pipe and a growing log file, drawn on a real X server (Xvfb).
#include "console/logview.h"
#include "resourcecheck.h"

#include <QScrollBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <unistd.h>

using Hamlet::LogView;
using namespace Hamlet::Test;

namespace {
bool writeAll(int fd, const QByteArray &bytes)
{
    return ::write(fd, bytes.constData(), size_t(bytes.size())) == bytes.size();
}
} // namespace

class TestLogView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QGuiApplication::platformName() == QStringLiteral("xcb"), "GUI tests run on Xvfb (xcb)");
    }

    void followsAPipeLiveAndSaysWhenItEnds()
    {
        {
            LogView warmUp;
            warmUp.show();
            QVERIFY(QTest::qWaitForWindowExposed(&warmUp));
        }
        const QSet<QString> fdsBefore = openFds();
        int fds[2];
        QCOMPARE(pipe2(fds, O_CLOEXEC), 0);
        {
            LogView log;
            log.resize(640, 360);
            log.show();
            QVERIFY(QTest::qWaitForWindowExposed(&log));
            QVERIFY2(log.statusText().contains(QStringLiteral("not running")), qPrintable(log.statusText()));
            QVERIFY(log.grab().save(outputPath(QStringLiteral("logview-no-log.png"))));

            QSignalSpy closed(&log, &LogView::closed);
            log.setFd(fds[0]);
            QVERIFY(log.isConnected());
            QVERIFY2(log.statusText().contains(QStringLiteral("No output yet")), qPrintable(log.statusText()));
            QVERIFY(log.grab().save(outputPath(QStringLiteral("logview-waiting.png"))));

            // Colour escapes go, text stays; a UTF-8 character split across writes survives.
            QVERIFY(writeAll(fds[1], "starting web server\n\x1b[32mlistening\x1b[0m on :8080\ncaf\xc3"));
            QTRY_VERIFY(log.text().contains(QStringLiteral("listening on :8080")));
            QVERIFY(writeAll(fds[1], "\xa9 open\n"));
            QTRY_VERIFY2(log.text().contains(QStringLiteral("café open")), qPrintable(log.text()));
            QVERIFY(!log.text().contains(QChar(0x1b)));
            QVERIFY(log.statusText().isEmpty());
            QVERIFY(log.grab().save(outputPath(QStringLiteral("logview-following.png"))));

            ::close(fds[1]); // the container's output closes
            QTRY_COMPARE(closed.size(), 1);
            QVERIFY(!log.isConnected());
            QVERIFY(log.text().contains(QStringLiteral("End of output")));
        }
        QVERIFY2(openFds() - fdsBefore == QSet<QString>(), qPrintable(leakedFds(fdsBefore)));
    }

    void keepsAtMostTheLineLimit()
    {
        int fds[2];
        QCOMPARE(pipe2(fds, O_CLOEXEC), 0);
        LogView log;
        log.setMaximumLines(50);
        log.show();
        QVERIFY(QTest::qWaitForWindowExposed(&log));
        log.setFd(fds[0]);
        QByteArray lines;
        for (int i = 1; i <= 1000; ++i)
            lines += "line " + QByteArray::number(i) + '\n';
        QVERIFY(writeAll(fds[1], lines));
        QTRY_VERIFY(log.text().contains(QStringLiteral("line 1000")));
        QVERIFY(log.document()->blockCount() <= 50);
        QVERIFY(!log.text().contains(QStringLiteral("line 1\n")));
        QVERIFY(log.verticalScrollBar()->value() == log.verticalScrollBar()->maximum()); // followed the end
        ::close(fds[1]);
        log.closeFd();
    }

    void followsALogFileAsItGrows()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("container.log"));
        QFile writer(path);
        QVERIFY(writer.open(QIODevice::WriteOnly | QIODevice::Unbuffered));
        QVERIFY(writer.write("first line\n") > 0);
        LogView log;
        log.show();
        QVERIFY(QTest::qWaitForWindowExposed(&log));
        log.setFd(::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC));
        QTRY_VERIFY(log.text().contains(QStringLiteral("first line")));
        // The end of a file is not the end of the log: later writes still appear.
        QVERIFY(writer.write("second line\n") > 0);
        QTRY_VERIFY_WITH_TIMEOUT(log.text().contains(QStringLiteral("second line")), 5000);
        QVERIFY(log.isConnected());
        // The helper caps a log by rewriting it shorter in place; the view starts over with it.
        QVERIFY(writer.resize(0));
        QVERIFY(writer.seek(0));
        QVERIFY(writer.write("[hamlet: older output was dropped]\nthird line\n") > 0);
        QTRY_VERIFY_WITH_TIMEOUT(log.text().contains(QStringLiteral("third line")), 5000);
        QVERIFY2(!log.text().contains(QStringLiteral("first line")), qPrintable(log.text()));
        QVERIFY(log.text().startsWith(QStringLiteral("[hamlet: older output was dropped]")));
        log.closeFd();
        QVERIFY(!log.isConnected());
    }
};

QTEST_MAIN(TestLogView)
#include "tst_logview.moc"
