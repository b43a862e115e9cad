// The Overview tab's text: what Inspect reports, read back in words.
#include "inspectformatter.h"
#include "instancelistmodel.h"
#include "overviewpage.h"

#include <QTest>

using namespace Hamlet;

class TestOverview : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void namespaces_saysWhichAreItsOwn()
    {
        const auto ns = [](bool isolated) {
            return QVariantMap {{QStringLiteral("inode"), 4026532001ULL},
                                {QStringLiteral("hostInode"), 4026531836ULL},
                                {QStringLiteral("isolated"), isolated}};
        };
        const QVariantMap parts {{QStringLiteral("namespaces"),
                                  QVariantMap {{QStringLiteral("pid"), ns(true)},
                                               {QStringLiteral("net"), ns(true)},
                                               {QStringLiteral("user"), ns(false)}}}};
        const QString html = InspectFormatter::rows(parts);
        QVERIFY2(html.contains(QStringLiteral("own net, pid")), qPrintable(html));
        QVERIFY2(html.contains(QStringLiteral("shared with the host: user")), qPrintable(html));
        // The contract's string form reads the same.
        const QVariantMap strings {{QStringLiteral("namespaces"),
                                    QVariantMap {{QStringLiteral("mnt"), QStringLiteral("own:4026532002")},
                                                 {QStringLiteral("user"), QStringLiteral("same")}}}};
        QVERIFY(InspectFormatter::rows(strings).contains(QStringLiteral("own mnt")));
    }

    void securityFacts_readInWords()
    {
        const QVariantMap parts {{QStringLiteral("capEff"), QStringLiteral("00000000800405fb")},
                                 {QStringLiteral("seccompMode"), 2},
                                 {QStringLiteral("noNewPrivs"), true},
                                 {QStringLiteral("memoryLimit"), 64ULL * 1024 * 1024},
                                 {QStringLiteral("rootfsMount"), QStringLiteral("rw,lowerdir=/very/long")},
                                 {QStringLiteral("somethingNew"), QStringLiteral("shown as is")}};
        const QString html = InspectFormatter::rows(parts);
        QVERIFY2(html.contains(QStringLiteral("11 capabilities (00000000800405fb)")), qPrintable(html));
        QVERIFY(html.contains(QStringLiteral("filter (system calls checked against a profile)")));
        QVERIFY(html.contains(QStringLiteral("64 MiB")));
        QVERIFY(!html.contains(QStringLiteral("lowerdir")));
        QVERIFY(html.contains(QStringLiteral("somethingNew")));
    }

    void vmFacts_readInWords()
    {
        const QVariantMap parts {{QStringLiteral("accelerator"), QStringLiteral("tcg")},
                                 {QStringLiteral("maxMemory"), 268435456ULL},
                                 {QStringLiteral("name"), QStringLiteral("house1")}};
        const QString html = InspectFormatter::rows(parts);
        QVERIFY(html.contains(QStringLiteral("tcg")));
        QVERIFY(html.contains(QStringLiteral("256 MiB")));
        QVERIFY(!html.contains(QStringLiteral("house1"))); // already in the header
    }

    void overview_showsSpecAndLimits()
    {
        OverviewPage page;
        InstanceListModel::Instance web;
        web.name = QStringLiteral("web1");
        web.kind = QStringLiteral("container");
        web.state = QStringLiteral("stopped");
        web.exitCode = 137;
        web.spec = {{QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}},
                    {QStringLiteral("cpus"), 0.5},
                    {QStringLiteral("memory"), 64ULL * 1024 * 1024}};
        page.showInstance(web);
        const QString text = page.text();
        QVERIFY2(text.contains(QStringLiteral("stopped (exit code 137)")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("sleep 3600")));
        QVERIFY(text.contains(QStringLiteral("0.5 CPU")));
        QVERIFY(text.contains(QStringLiteral("64 MiB")));
        QVERIFY(text.contains(QStringLiteral("Processes: no limit")));
    }
};

QTEST_MAIN(TestOverview)
#include "tst_overview.moc"
