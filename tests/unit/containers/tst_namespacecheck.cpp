// Namespace verdicts: isolation is claimed only when both sides were read and differ; an unread
// side makes "unknown" with its reason. The /proc tree is a directory made by the test, so the
// inodes (hard links for "shared") and the unreadable entries are chosen here.
#include "namespacecheck.h"
#include "namespacefacts.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Containers;

class TestNamespaceCheck : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void compare_readsThreeStates()
    {
        const QVariantMap isolated = compareNamespace({7, {}}, {8, {}});
        QCOMPARE(isolated.value(QStringLiteral("state")).toString(), QStringLiteral("isolated"));
        QCOMPARE(isolated.value(QStringLiteral("inode")).toULongLong(), 7ULL);
        QCOMPARE(isolated.value(QStringLiteral("hostInode")).toULongLong(), 8ULL);

        QCOMPARE(compareNamespace({7, {}}, {7, {}}).value(QStringLiteral("state")).toString(),
                 QStringLiteral("shared"));

        // The host side unreadable: the old code compared with 0 and said "isolated".
        const QVariantMap unknown
            = compareNamespace({7, {}}, {0, QStringLiteral("cannot read /proc/1/ns/user: EACCES")});
        QCOMPARE(unknown.value(QStringLiteral("state")).toString(), QStringLiteral("unknown"));
        QCOMPARE(unknown.value(QStringLiteral("reason")).toString(),
                 QStringLiteral("cannot read /proc/1/ns/user: EACCES"));
        QVERIFY(!unknown.contains(QStringLiteral("hostInode")));
        QCOMPARE(compareNamespace({0, QStringLiteral("gone")}, {7, {}}).value(QStringLiteral("reason")).toString(),
                 QStringLiteral("gone"));
    }

    void compareNamespaces_overAProcTreeWithSharedIsolatedAndUnreadableEntries()
    {
        QTemporaryDir proc;
        QVERIFY(proc.isValid());
        QVERIFY(QDir(proc.path()).mkpath(QStringLiteral("self/ns")));
        QVERIFY(QDir(proc.path()).mkpath(QStringLiteral("42/ns")));
        const QStringList types {QStringLiteral("cgroup"), QStringLiteral("ipc"), QStringLiteral("mnt"),
                                 QStringLiteral("net"),    QStringLiteral("pid"), QStringLiteral("user"),
                                 QStringLiteral("uts")};
        for (const QString &type : types) {
            QFile host(proc.filePath(QStringLiteral("self/ns/") + type));
            QVERIFY(host.open(QIODevice::WriteOnly));
        }
        const auto inside = [&proc](const QString &type) { return proc.filePath(QStringLiteral("42/ns/") + type); };
        // user: the very same inode as the host's (a hard link), as a container without a user
        // namespace has; cgroup: not there at all; the rest: inodes of their own.
        QCOMPARE(::link(QFile::encodeName(proc.filePath(QStringLiteral("self/ns/user"))).constData(),
                        QFile::encodeName(inside(QStringLiteral("user"))).constData()),
                 0);
        for (const QString &type : {QStringLiteral("ipc"), QStringLiteral("mnt"), QStringLiteral("net"),
                                    QStringLiteral("pid"), QStringLiteral("uts")}) {
            QFile own(inside(type));
            QVERIFY(own.open(QIODevice::WriteOnly));
        }

        const QVariantMap verdicts = compareNamespaces(42, proc.path());
        QCOMPARE(verdicts.keys(), types);
        const auto state = [&verdicts](const char *type) {
            return verdicts.value(QLatin1String(type)).toMap().value(QStringLiteral("state")).toString();
        };
        for (const char *type : {"ipc", "mnt", "net", "pid", "uts"})
            QCOMPARE(state(type), QStringLiteral("isolated"));
        QCOMPARE(state("user"), QStringLiteral("shared"));
        QCOMPARE(state("cgroup"), QStringLiteral("unknown"));
        const QString reason
            = verdicts.value(QStringLiteral("cgroup")).toMap().value(QStringLiteral("reason")).toString();
        QVERIFY2(reason.contains(QStringLiteral("42/ns/cgroup")) && reason.contains(QStringLiteral("No such file")),
                 qPrintable(reason));

        // And in words, as the window and hamletctl say it.
        QCOMPARE(NamespaceFacts::sentence(QStringLiteral("user"), verdicts.value(QStringLiteral("user")).toMap()),
                 QStringLiteral("user: shared with the host — root in this container is root on the host"));
        QCOMPARE(NamespaceFacts::sentence(QStringLiteral("pid"), verdicts.value(QStringLiteral("pid")).toMap()),
                 QStringLiteral("pid: isolated"));
        QVERIFY(NamespaceFacts::sentence(QStringLiteral("cgroup"), verdicts.value(QStringLiteral("cgroup")).toMap())
                    .startsWith(QStringLiteral("cgroup: unknown — cannot read ")));
    }
};

QTEST_GUILESS_MAIN(TestNamespaceCheck)
#include "tst_namespacecheck.moc"
