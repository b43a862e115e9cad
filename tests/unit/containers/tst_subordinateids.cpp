// The helper's id range in subuid/subgid and the blocks it hands to containers.
#include "containerrecord.h"
#include "ociconfig.h"
#include "subordinateids.h"

#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace Hamlet::Containers;
namespace Ids = Hamlet::Containers::SubordinateIds;

namespace {
void write(const QString &path, const QByteArray &text)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(text);
}

QByteArray read(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}
} // namespace

class TestSubordinateIds : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void chooseReservation_defaultsAboveUsersAndAvoidsEntries()
    {
        QCOMPARE(Ids::chooseReservation({}, 1000)->hostId, Ids::kDefaultBase);
        // podman's usual entry for a person (100000:65536) is below; one at 1,000,000 pushes it up.
        const QList<Ids::Entry> existing {{QStringLiteral("alice"), {100000, 65536}},
                                          {QStringLiteral("bob"), {1000000, 65536}}};
        const IdRange chosen = *Ids::chooseReservation(existing, 1000);
        QCOMPARE(chosen.hostId, 1065536ull);
        QVERIFY(!chosen.overlaps(existing.at(1).range));
        // A host user with a huge uid: above it, on a block boundary.
        QCOMPARE(Ids::chooseReservation({}, 2000000)->hostId, 2031616ull);
        // No room left at all: none.
        QVERIFY(!Ids::chooseReservation({{QStringLiteral("all"), {0, Ids::kIdLimit}}}, 0));
    }

    void pick_givesTheLowestFreeBlockAndNoneWhenFull()
    {
        const IdRange pool {1000000, 3 * Ids::kPerContainer};
        QCOMPARE(Ids::pick(pool, {})->hostId, 1000000ull);
        QCOMPARE(Ids::pick(pool, {{1000000, 65536}})->hostId, 1065536ull);
        QCOMPARE(Ids::pick(pool, {{1065536, 65536}})->hostId, 1000000ull); // a freed block first
        QVERIFY(!Ids::pick(pool, {{1000000, 3 * 65536}}));
    }

    void reserve_writesOneHamletEntryOnceAndKeepsOthers()
    {
        QTemporaryDir dir;
        write(dir.filePath(QStringLiteral("subuid")), "alice:100000:65536");
        write(dir.filePath(QStringLiteral("subgid")), "alice:100000:65536\n");
        write(dir.filePath(QStringLiteral("passwd")),
              "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/a:/bin/sh\n");
        write(dir.filePath(QStringLiteral("group")), "root:x:0:\n");
        const auto reserve = [&] {
            return Ids::reserve(dir.path(), dir.filePath(QStringLiteral("passwd")),
                                dir.filePath(QStringLiteral("group")));
        };
        const Result<IdRange> first = reserve();
        QVERIFY2(first.ok(), qPrintable(first.ok() ? QString() : first.error().message));
        QCOMPARE(first->hostId, Ids::kDefaultBase);
        QCOMPARE(read(dir.filePath(QStringLiteral("subuid"))),
                 QByteArray("alice:100000:65536\nhamlet:1000000:1000000000\n"));
        QCOMPARE(read(dir.filePath(QStringLiteral("subgid"))),
                 QByteArray("alice:100000:65536\nhamlet:1000000:1000000000\n"));
        // The second start reads it back and writes nothing.
        QCOMPARE(reserve()->hostId, first->hostId);
        QCOMPARE(read(dir.filePath(QStringLiteral("subuid"))).count("hamlet:"), 1);
    }

    void reserve_refusesEntriesThatDifferOrOverlap()
    {
        QTemporaryDir dir;
        write(dir.filePath(QStringLiteral("passwd")), "root:x:0:0::/root:/bin/sh\n");
        write(dir.filePath(QStringLiteral("group")), "root:x:0:\n");
        const auto reserve = [&] {
            return Ids::reserve(dir.path(), dir.filePath(QStringLiteral("passwd")),
                                dir.filePath(QStringLiteral("group")));
        };
        write(dir.filePath(QStringLiteral("subuid")), "hamlet:1000000:65536\n");
        write(dir.filePath(QStringLiteral("subgid")), "hamlet:2000000:65536\n");
        QVERIFY(!reserve().ok());
        write(dir.filePath(QStringLiteral("subgid")), "hamlet:1000000:65536\nbob:1030000:10\n");
        QVERIFY(!reserve().ok());
        QVERIFY(reserve().error().message.contains(QStringLiteral("bob")));
        // A range over host users is refused, not used.
        write(dir.filePath(QStringLiteral("subuid")), "hamlet:0:65536\n");
        write(dir.filePath(QStringLiteral("subgid")), "hamlet:0:65536\n");
        QVERIFY(!reserve().ok());
    }

    void record_ofBeforeUserNamespacesKeepsTheHosts()
    {
        ContainerRecord record;
        record.spec.name = QStringLiteral("web");
        record.idMap = IdRange {1065536, 65536};
        const ContainerRecord back = ContainerRecord::fromJson(record.toJson());
        QCOMPARE(back.spec.userns, QStringLiteral("auto"));
        QVERIFY(back.idMap && *back.idMap == *record.idMap);
        QJsonObject old = record.toJson();
        QJsonObject spec = old.value(QStringLiteral("spec")).toObject();
        spec.remove(QStringLiteral("userns"));
        old.insert(QStringLiteral("spec"), spec);
        old.remove(QStringLiteral("idMap"));
        const ContainerRecord before = ContainerRecord::fromJson(old);
        QCOMPARE(before.spec.userns, QStringLiteral("host"));
        QVERIFY(!before.idMap);
    }

    void config_mapsIdsAndBindsSysForAForeignNetns()
    {
        ContainerSpec spec;
        spec.name = QStringLiteral("web");
        spec.command = {QStringLiteral("sh")};
        OciConfig::HostFacts facts;
        facts.netnsPath = QStringLiteral("/run/hamlet/netns/web");
        facts.idMap = IdRange {1065536, 65536};
        const QJsonObject config = *OciConfig::build(spec, {}, facts);
        const QJsonObject linux = config.value(QStringLiteral("linux")).toObject();
        QCOMPARE(linux.value(QStringLiteral("uidMappings"))
                     .toArray()
                     .at(0)
                     .toObject()
                     .value(QStringLiteral("hostID"))
                     .toInteger(),
                 1065536);
        QVERIFY(linux.value(QStringLiteral("namespaces"))
                    .toArray()
                    .contains(QJsonObject {{QStringLiteral("type"), QStringLiteral("user")}}));
        for (const QJsonValue &mount : config.value(QStringLiteral("mounts")).toArray()) {
            if (mount.toObject().value(QStringLiteral("destination")).toString() == QLatin1String("/sys")) {
                QCOMPARE(mount.toObject().value(QStringLiteral("type")).toString(), QStringLiteral("bind"));
                QVERIFY(mount.toObject().value(QStringLiteral("options")).toArray().contains(QStringLiteral("rro")));
            }
        }
        // Its own pinned user namespace, owning the network namespace: joined by path, a sysfs.
        facts.usernsPath = QStringLiteral("/run/hamlet/userns/web");
        const QJsonObject own = *OciConfig::build(spec, {}, facts);
        QVERIFY(own.value(QStringLiteral("linux"))
                    .toObject()
                    .value(QStringLiteral("namespaces"))
                    .toArray()
                    .contains(QJsonObject {{QStringLiteral("type"), QStringLiteral("user")},
                                           {QStringLiteral("path"), facts.usernsPath}}));
        for (const QJsonValue &mount : own.value(QStringLiteral("mounts")).toArray()) {
            if (mount.toObject().value(QStringLiteral("destination")).toString() == QLatin1String("/sys"))
                QCOMPARE(mount.toObject().value(QStringLiteral("type")).toString(), QStringLiteral("sysfs"));
        }
        facts.usernsPath.clear();
        // The host's user namespace: no mappings, a sysfs of its own.
        facts.idMap.reset();
        const QJsonObject plain = *OciConfig::build(spec, {}, facts);
        QVERIFY(!plain.value(QStringLiteral("linux")).toObject().contains(QStringLiteral("uidMappings")));
    }

    void spec_usernsIsAutoByDefaultAndChecked()
    {
        QCOMPARE(ContainerSpec::fromVariantMap(QStringLiteral("a"),
                                               {{QStringLiteral("image"), QStringLiteral("busybox")}}, 2)
                     ->userns,
                 QStringLiteral("auto"));
        QCOMPARE(ContainerSpec::fromVariantMap(QStringLiteral("a"),
                                               {{QStringLiteral("image"), QStringLiteral("busybox")},
                                                {QStringLiteral("userns"), QStringLiteral("host")}},
                                               2)
                     ->userns,
                 QStringLiteral("host"));
        QVERIFY(!ContainerSpec::fromVariantMap(QStringLiteral("a"),
                                               {{QStringLiteral("image"), QStringLiteral("busybox")},
                                                {QStringLiteral("userns"), QStringLiteral("keep-id")}},
                                               2)
                     .ok());
    }
};

QTEST_GUILESS_MAIN(TestSubordinateIds)
#include "tst_subordinateids.moc"
