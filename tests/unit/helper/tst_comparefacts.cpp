// Compare's figures (issue 21): the helper's measured part (CompareFacts) and the table both
// sides print (CompareTable). A figure that was not measured reads "unknown: <why>", never 0.
#include "comparefacts.h"
#include "comparetable.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace Hamlet;

class TestCompareFacts : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void stoppedContainer_memoryIsUnknownWithReason_notZero()
    {
        QTemporaryDir dir;
        const QVariantMap parts {{QStringLiteral("state"), QStringLiteral("stopped")},
                                 {QStringLiteral("rootfsUpper"), dir.path()},
                                 {QStringLiteral("rootfsLower"), QStringList {dir.path()}}};
        const QVariantMap measured = CompareFacts::measured(
            QStringLiteral("container"), parts,
            {{QStringLiteral("firstOutputUnknown"), QStringLiteral("not timed: reason")}}, dir.path());
        QVERIFY(!measured.contains(QStringLiteral("hostMemoryBytes")));
        const QVariantMap unknown = measured.value(QStringLiteral("unknown")).toMap();
        QCOMPARE(unknown.value(QStringLiteral("hostMemoryBytes")).toString(), QStringLiteral("it is not running"));
        QCOMPARE(unknown.value(QStringLiteral("firstOutputMs")).toString(), QStringLiteral("not timed: reason"));
        QVERIFY(unknown.contains(QStringLiteral("walls"))); // no process: its namespaces were not read
        QVERIFY(measured.value(QStringLiteral("kernelShared")).toBool());
        QVERIFY(measured.contains(QStringLiteral("diskOwnBytes")));
    }

    void vmWithoutQemu_memoryUnknown_andNoImage_sharedDiskUnknown()
    {
        const QVariantMap parts {{QStringLiteral("state"), QStringLiteral("stopped")},
                                 {QStringLiteral("accelerator"), QStringLiteral("tcg")},
                                 {QStringLiteral("kernelRelease"), QStringLiteral("6.1.0-test")}};
        const QVariantMap measured
            = CompareFacts::measured(QStringLiteral("vm"), parts, {}, QStringLiteral("/nonexistent"));
        const QVariantMap unknown = measured.value(QStringLiteral("unknown")).toMap();
        QCOMPARE(unknown.value(QStringLiteral("hostMemoryBytes")).toString(),
                 QStringLiteral("it is not running (no QEMU process)"));
        QCOMPARE(unknown.value(QStringLiteral("diskSharedBytes")).toString(),
                 QStringLiteral("it was not made from an image"));
        QCOMPARE(measured.value(QStringLiteral("diskOwnBytes")).toLongLong(), 0); // it has no disk: measured
        QCOMPARE(measured.value(QStringLiteral("kernelRelease")).toString(), QStringLiteral("6.1.0-test"));
        QVERIFY(!measured.value(QStringLiteral("kernelShared")).toBool());
        QVERIFY(measured.value(QStringLiteral("wallsSummary")).toString().contains(QStringLiteral("TCG")));
    }

    void runningVm_memoryIsTheResidentSetOfItsPid()
    {
        // This test's own process stands in for QEMU: any pid's VmRSS is read the same way.
        const QVariantMap parts {{QStringLiteral("state"), QStringLiteral("running")},
                                 {QStringLiteral("pid"), static_cast<qulonglong>(::getpid())}};
        const QVariantMap measured = CompareFacts::measured(QStringLiteral("vm"), parts, {}, QString());
        QVERIFY(measured.value(QStringLiteral("hostMemoryBytes")).toLongLong() > 1024 * 1024);
        QVERIFY(measured.value(QStringLiteral("hostMemorySource")).toString().contains(QStringLiteral("VmRSS")));
    }

    void allocatedBytes_countsAHardLinkOnce_andAMissingPathIsMinusOne()
    {
        QTemporaryDir dir;
        QFile file(dir.filePath(QStringLiteral("a")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        QVERIFY(file.write(QByteArray(64 * 1024, 'x')) == 64 * 1024);
        file.close();
        const qint64 one = CompareFacts::allocatedBytes(dir.path());
        QVERIFY(::link(QFile::encodeName(dir.filePath(QStringLiteral("a"))).constData(),
                       QFile::encodeName(dir.filePath(QStringLiteral("b"))).constData())
                == 0);
        QCOMPARE(CompareFacts::allocatedBytes(dir.path()), one);
        QVERIFY(one >= 64 * 1024);
        QCOMPARE(CompareFacts::allocatedBytes(dir.filePath(QStringLiteral("missing"))), -1);
    }

    void table_saysUnknownWithTheReason_andEscapesMarkdown()
    {
        const CompareTable::Side a {QStringLiteral("web|1"),
                                    QStringLiteral("container"),
                                    QStringLiteral("running"),
                                    {{QStringLiteral("measured"),
                                      QVariantMap {{QStringLiteral("firstOutputMs"), 75.4},
                                                   {QStringLiteral("firstOutputFrom"), QStringLiteral("start")},
                                                   {QStringLiteral("hostMemoryBytes"), 3 * 1024 * 1024}}}}};
        const CompareTable::Side b {
            QStringLiteral("house"),
            QStringLiteral("vm"),
            QStringLiteral("stopped"),
            {{QStringLiteral("measured"),
              QVariantMap {{QStringLiteral("unknown"),
                            QVariantMap {{QStringLiteral("hostMemoryBytes"), QStringLiteral("it is not running")}}}}}}};
        const QList<CompareTable::Row> rows = CompareTable::rows(a, b);
        const auto row = [&](const QString &label) {
            for (const CompareTable::Row &r : rows)
                if (r.label == label)
                    return r;
            return CompareTable::Row {};
        };
        QCOMPARE(row(QStringLiteral("Start to first output")).a, QStringLiteral("75 ms (from start)"));
        QCOMPARE(row(QStringLiteral("Host memory")).a, QStringLiteral("3.00 MiB"));
        QCOMPARE(row(QStringLiteral("Host memory")).b, QStringLiteral("unknown: it is not running"));
        QCOMPARE(row(QStringLiteral("Start to first output")).b, QStringLiteral("unknown: the helper did not say"));
        QVERIFY(CompareTable::asMarkdown(a, b).startsWith(QStringLiteral("| | web\\|1 | house |")));
        QVERIFY(CompareTable::asText(a, b).contains(QStringLiteral("unknown: it is not running")));
        QCOMPARE(CompareTable::duration(6070), QStringLiteral("6.07 s"));
    }
};

QTEST_MAIN(TestCompareFacts)
#include "tst_comparefacts.moc"
