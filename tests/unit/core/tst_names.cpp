#include "names.h"

#include <QTest>

class TestNames : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void acceptsOrdinaryNames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("simple") << QStringLiteral("web1");
        QTest::newRow("dots and dashes") << QStringLiteral("db-2.test_a");
        QTest::newRow("digit first") << QStringLiteral("1box");
        QTest::newRow("63 characters") << QString(63, QLatin1Char('a'));
    }
    void acceptsOrdinaryNames()
    {
        QFETCH(QString, name);
        QVERIFY2(Hamlet::isValidInstanceName(name), qPrintable(Hamlet::instanceNameProblem(name)));
    }

    void rejectsBadNames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("problemMentions");
        QTest::newRow("empty") << QString() << QStringLiteral("empty");
        QTest::newRow("dot") << QStringLiteral(".") << QStringLiteral("start");
        QTest::newRow("dot dot") << QStringLiteral("..") << QStringLiteral("start");
        QTest::newRow("slash") << QStringLiteral("a/b") << QStringLiteral("'/'");
        QTest::newRow("leading dash") << QStringLiteral("-x") << QStringLiteral("start");
        QTest::newRow("64 characters") << QString(64, QLatin1Char('a')) << QStringLiteral("64");
        QTest::newRow("newline") << QStringLiteral("a\nb") << QStringLiteral("U+000a");
        QTest::newRow("escape") << QStringLiteral("a\x1b") << QStringLiteral("U+001b");
        QTest::newRow("space") << QStringLiteral("a b") << QStringLiteral("' '");
        QTest::newRow("non-ascii") << QStringLiteral("caf\u00e9") << QStringLiteral("'\u00e9'");
    }
    void rejectsBadNames()
    {
        QFETCH(QString, name);
        QFETCH(QString, problemMentions);
        const QString problem = Hamlet::instanceNameProblem(name);
        QVERIFY(!Hamlet::isValidInstanceName(name));
        QVERIFY2(problem.contains(problemMentions), qPrintable(problem));
    }
};

QTEST_GUILESS_MAIN(TestNames)
#include "tst_names.moc"
