#include "units.h"

#include <QTest>

class TestUnits : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsesBinarySizes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qulonglong>("bytes");
        QTest::newRow("plain bytes") << QStringLiteral("4096") << 4096ULL;
        QTest::newRow("MiB") << QStringLiteral("64MiB") << 67108864ULL;
        QTest::newRow("M") << QStringLiteral("64M") << 67108864ULL;
        QTest::newRow("fraction of G") << QStringLiteral("1.5G") << 1610612736ULL;
        QTest::newRow("k with space") << QStringLiteral("512 k") << 524288ULL;
    }
    void parsesBinarySizes()
    {
        QFETCH(QString, text);
        QFETCH(qulonglong, bytes);
        QCOMPARE(Hamlet::parseSize(text), std::optional<qulonglong>(bytes));
    }

    void refusesWhatIsNotASize()
    {
        QCOMPARE(Hamlet::parseSize(QStringLiteral("")), std::nullopt);
        QCOMPARE(Hamlet::parseSize(QStringLiteral("lots")), std::nullopt);
        QCOMPARE(Hamlet::parseSize(QStringLiteral("-5M")), std::nullopt);
        QCOMPARE(Hamlet::parseSize(QStringLiteral("5X")), std::nullopt);
    }
};

QTEST_GUILESS_MAIN(TestUnits)
#include "tst_units.moc"
