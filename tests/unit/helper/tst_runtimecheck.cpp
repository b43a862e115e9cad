// The CVE-2024-21626 warning: upstream versions and distribution backports.
#include "runtimecheck.h"

#include <QTest>

using namespace Hamlet::RuntimeCheck;

class TestRuntimeCheck : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void warningFor_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("output");
        QTest::addColumn<int>("packageFixed"); // -1 none, 0 no, 1 yes
        QTest::addColumn<QString>("packageVersion");
        QTest::addColumn<bool>("warns");
        const QString debian = QStringLiteral("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev");
        QTest::newRow("Debian 12's patched package") << "runc" << debian << 1 << "1.1.5+ds1-1+deb12u1" << false;
        QTest::newRow("Debian's unpatched package") << "runc" << debian << 0 << "1.1.5+ds1-1" << true;
        QTest::newRow("1.1.5 not from a package") << "runc"
                                                  << "runc version 1.1.5" << -1 << "" << true;
        QTest::newRow("1.1.11 upstream") << "runc"
                                         << "runc version 1.1.11" << -1 << "" << true;
        QTest::newRow("1.1.12 upstream (the fix)") << "runc"
                                                   << "runc version 1.1.12" << -1 << "" << false;
        QTest::newRow("1.2.0 upstream") << "runc"
                                        << "runc version 1.2.0" << -1 << "" << false;
        QTest::newRow("unknown version") << "runc"
                                         << "" << -1 << "" << true;
        QTest::newRow("crun never had it") << "crun"
                                           << "crun version 1.8.1" << -1 << "" << false;
    }
    void warningFor()
    {
        QFETCH(QString, name);
        QFETCH(QString, output);
        QFETCH(int, packageFixed);
        QFETCH(QString, packageVersion);
        QFETCH(bool, warns);
        Facts facts {name, output, std::nullopt, packageVersion};
        if (packageFixed >= 0)
            facts.packageCarriesFix = packageFixed == 1;
        const QString warning = Hamlet::RuntimeCheck::warningFor(facts);
        QCOMPARE(!warning.isEmpty(), warns);
        if (warns) {
            QVERIFY2(warning.contains(QStringLiteral("CVE-2024-21626")), qPrintable(warning));
            QVERIFY2(warning.contains(QStringLiteral("1.1.12")), qPrintable(warning)); // what to do
            if (!packageVersion.isEmpty())
                QVERIFY2(warning.contains(packageVersion), qPrintable(warning));
        }
    }
};

QTEST_GUILESS_MAIN(TestRuntimeCheck)
#include "tst_runtimecheck.moc"
