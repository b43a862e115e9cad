// The spec key "restart": what is accepted, what is refused with a reason, and the back-off.
#include "containerspec.h"
#include "restartpolicy.h"

#include <QJsonObject>
#include <QTest>

using namespace Hamlet::Containers;
using namespace std::chrono_literals;

class TestRestartPolicy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parse_acceptsTheFourPolicies_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("mode");
        QTest::addColumn<int>("retries");
        QTest::addColumn<QString>("canonical");
        QTest::newRow("no") << "no" << int(RestartPolicy::Mode::No) << 0 << "no";
        QTest::newRow("empty") << "" << int(RestartPolicy::Mode::No) << 0 << "no";
        QTest::newRow("on-failure") << "on-failure" << int(RestartPolicy::Mode::OnFailure) << 0 << "on-failure";
        QTest::newRow("on-failure:3") << "on-failure:3" << int(RestartPolicy::Mode::OnFailure) << 3 << "on-failure:3";
        QTest::newRow("on-failure:1000") << "on-failure:1000" << int(RestartPolicy::Mode::OnFailure) << 1000
                                         << "on-failure:1000";
        QTest::newRow("always") << "always" << int(RestartPolicy::Mode::Always) << 0 << "always";
        QTest::newRow("unless-stopped") << "unless-stopped" << int(RestartPolicy::Mode::UnlessStopped) << 0
                                        << "unless-stopped";
    }
    void parse_acceptsTheFourPolicies()
    {
        QFETCH(QString, text);
        QFETCH(int, mode);
        QFETCH(int, retries);
        QFETCH(QString, canonical);
        const Result<RestartPolicy> policy = RestartPolicy::parse(text);
        QVERIFY2(policy.ok(), qPrintable(policy ? QString() : policy.error().message));
        QCOMPARE(int(policy->mode), mode);
        QCOMPARE(policy->maxRetries, retries);
        QCOMPARE(policy->toString(), canonical);
    }

    void parse_refusesAnythingElse_data()
    {
        QTest::addColumn<QString>("text");
        for (const char *bad : {"sometimes", "Always", "on-failure:", "on-failure:0", "on-failure:-1", "on-failure:+3",
                                "on-failure: 3", "on-failure:1001", "on-failure:3x", "always:3", "no:1", "onfailure"})
            QTest::newRow(bad) << QString::fromLatin1(bad);
    }
    void parse_refusesAnythingElse()
    {
        QFETCH(QString, text);
        const Result<RestartPolicy> policy = RestartPolicy::parse(text);
        QVERIFY(!policy.ok());
        QCOMPARE(policy.error().name, Hamlet::Error::InvalidArgument);
        QVERIFY2(policy.error().message.contains(QStringLiteral("on-failure:N")), qPrintable(policy.error().message));
    }

    void spec_carriesThePolicy_andRefusesABadOne()
    {
        QVariantMap map {{QStringLiteral("image"), QStringLiteral("busybox")},
                         {QStringLiteral("restart"), QStringLiteral("on-failure:3")}};
        const Result<ContainerSpec> spec = ContainerSpec::fromVariantMap(QStringLiteral("web"), map, 2);
        QVERIFY(spec.ok());
        QCOMPARE(spec->restart.maxRetries, 3);
        QCOMPARE(spec->toVariantMap().value(QStringLiteral("restart")).toString(), QStringLiteral("on-failure:3"));
        QCOMPARE(ContainerSpec::fromJson(spec->toJson()), *spec);
        // Without the key: "no", also for a record written before policies existed.
        QCOMPARE(ContainerSpec::fromJson(QJsonObject {{QStringLiteral("name"), QStringLiteral("old")}}).restart,
                 RestartPolicy {});

        map.insert(QStringLiteral("restart"), QStringLiteral("on-crash"));
        QCOMPARE(ContainerSpec::fromVariantMap(QStringLiteral("web"), map, 2).error().name,
                 Hamlet::Error::InvalidArgument);
        map.insert(QStringLiteral("restart"), 3);
        QCOMPARE(ContainerSpec::fromVariantMap(QStringLiteral("web"), map, 2).error().name,
                 Hamlet::Error::InvalidArgument);
    }

    void wantsRestart_followsThePolicy()
    {
        const RestartPolicy onFailure = *RestartPolicy::parse(QStringLiteral("on-failure:3"));
        QVERIFY(!onFailure.wantsRestart(0));
        QVERIFY(onFailure.wantsRestart(1));
        QVERIFY(onFailure.wantsRestart(137));
        QVERIFY(onFailure.wantsRestart(-1)); // ended while the helper was away: not known to be fine
        QVERIFY(!onFailure.exhausted(2));
        QVERIFY(onFailure.exhausted(3));
        QVERIFY(!RestartPolicy::parse(QStringLiteral("on-failure"))->exhausted(100000));
        QVERIFY(RestartPolicy::parse(QStringLiteral("always"))->wantsRestart(0));
        QVERIFY(RestartPolicy::parse(QStringLiteral("unless-stopped"))->wantsRestart(0));
        QVERIFY(!RestartPolicy {}.wantsRestart(1));
    }

    void backoff_doublesFrom100msTo10s_andStartsAgainAfter10sOfRunning()
    {
        QCOMPARE(restartBackoff(0ms, 0ms), 100ms);
        QCOMPARE(restartBackoff(100ms, 50ms), 200ms);
        QCOMPARE(restartBackoff(200ms, 9999ms), 400ms);
        std::chrono::milliseconds delay(0);
        for (int i = 0; i < 20; ++i)
            delay = restartBackoff(delay, 10ms);
        QCOMPARE(delay, 10000ms);
        QCOMPARE(restartBackoff(10000ms, 10000ms), 100ms);
        QCOMPARE(restartBackoff(6400ms, 60000ms), 100ms);
    }
};

QTEST_GUILESS_MAIN(TestRestartPolicy)
#include "tst_restartpolicy.moc"
