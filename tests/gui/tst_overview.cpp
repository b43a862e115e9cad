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
    void namespaces_saysWhichAreItsOwnWhichAreSharedAndWhichWereNotSeen()
    {
        const auto ns = [](const QString &state) {
            QVariantMap verdict {{QStringLiteral("state"), state}};
            if (state == QLatin1String("unknown"))
                verdict.insert(QStringLiteral("reason"),
                               QStringLiteral("cannot read /proc/1/ns/cgroup: Permission denied"));
            return verdict;
        };
        const QVariantMap parts {{QStringLiteral("namespaces"),
                                  QVariantMap {{QStringLiteral("pid"), ns(QStringLiteral("isolated"))},
                                               {QStringLiteral("net"), ns(QStringLiteral("isolated"))},
                                               {QStringLiteral("user"), ns(QStringLiteral("shared"))},
                                               {QStringLiteral("cgroup"), ns(QStringLiteral("unknown"))}}}};
        const QString html = InspectFormatter::rows(parts);
        QVERIFY2(html.contains(QStringLiteral("Namespaces of its own</b></td><td>net, pid<")), qPrintable(html));
        QVERIFY2(html.contains(QStringLiteral("user — root in this container is root on the host")), qPrintable(html));
        QVERIFY2(html.contains(QStringLiteral("cgroup — cannot read /proc/1/ns/cgroup: Permission denied")),
                 qPrintable(html));
    }

    void userNamespace_isolatedSaysTheMap()
    {
        const QVariantMap idMap {{QStringLiteral("containerId"), 0u},
                                 {QStringLiteral("hostId"), 1065536ULL},
                                 {QStringLiteral("size"), 65536ULL}};
        const QVariantMap running {
            {QStringLiteral("namespaces"),
             QVariantMap {
                 {QStringLiteral("user"), QVariantMap {{QStringLiteral("state"), QStringLiteral("isolated")}}}}},
            {QStringLiteral("idMap"), idMap}};
        QString html = InspectFormatter::rows(running);
        QVERIFY2(html.contains(QStringLiteral("<b>User</b></td><td>isolated — root here is uid 1,065,536 on the host "
                                              "(ids 0–65,535 here are 1,065,536–1,131,071 there)")),
                 qPrintable(html));
        QVERIFY2(!html.contains(QStringLiteral("hostId")), qPrintable(html)); // said in words, not as raw keys
        // Stopped: no verdicts, the range it will run with.
        html = InspectFormatter::rows({{QStringLiteral("idMap"), idMap}});
        QVERIFY2(html.contains(QStringLiteral("its own ids — root here is uid 1,065,536 on the host")),
                 qPrintable(html));
        // No map from the helper: nothing is claimed.
        html = InspectFormatter::rows({{QStringLiteral("idMap"), QVariantMap {}}});
        QVERIFY2(!html.contains(QStringLiteral("root here")), qPrintable(html));
    }

    void namespaces_neverClaimIsolationWithoutAVerdict()
    {
        // An older helper's bare inodes, or a verdict with no state: not verified, never "own".
        const QVariantMap parts {{QStringLiteral("namespaces"),
                                  QVariantMap {{QStringLiteral("user"),
                                                QVariantMap {{QStringLiteral("inode"), 4026532001ULL},
                                                             {QStringLiteral("isolated"), true}}}}}};
        const QString html = InspectFormatter::rows(parts);
        QVERIFY2(!html.contains(QStringLiteral("of its own")), qPrintable(html));
        QVERIFY2(html.contains(QStringLiteral("Namespaces not verified")), qPrintable(html));
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
        // Not reported is not "no limit": the helper always sets one for a container.
        QVERIFY2(text.contains(QStringLiteral("Processes: unknown (the helper did not report it)")), qPrintable(text));
        web.pidsLimit = 2048;
        page.showInstance(web);
        QVERIFY2(page.text().contains(QStringLiteral("Processes: at most 2048")), qPrintable(page.text()));
    }
};

QTEST_MAIN(TestOverview)
#include "tst_overview.moc"
