// Issue 17: what a user namespace costs a create. Create+start until running of a default
// container (userns auto: an id range, idmapped layers under the overlay) against a userns=host
// one, and against podman run -d --userns=auto of the same image (and podman's default, rootful
// without a user namespace, for reference), in one run. Prints figures; asserts nothing.
#include "benchsupport.h"
#include "clienttest.h"
#include "testsystem.h"

#include <QCoreApplication>
#include <QDir>
#include <QTemporaryDir>

#include <sched.h>
#include <sys/mount.h>

using namespace Hamlet;
using namespace Hamlet::Bench;
using namespace Hamlet::Test;

namespace {
// podman --userns=auto takes its ids from the "containers" entries of /etc/subuid and /etc/subgid,
// a path it does not let one change. This process (after the helper is started, which keeps the
// host's view) gets a mount namespace of its own, private, where those two files are copies with
// such an entry: the podman it starts sees them, the machine's files stay as they are.
bool givePodmanSubids(const QString &dir)
{
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return false;
    for (const char *file : {"subuid", "subgid"}) {
        const QString copy = dir + QLatin1Char('/') + QLatin1String(file);
        QFile out(copy);
        if (!out.open(QIODevice::WriteOnly))
            return false;
        out.write(readFile(QStringLiteral("/etc/") + QLatin1String(file)));
        out.write("\ncontainers:2000000000:200000000\n");
        out.close();
        const QByteArray target = QByteArray("/etc/") + file;
        if (!QFile::exists(QString::fromLatin1(target)))
            return false; // nothing to bind over; the bench says podman is unavailable
        if (::mount(QFile::encodeName(copy).constData(), target.constData(), nullptr, MS_BIND, nullptr) != 0)
            return false;
    }
    return true;
}

// Mounts podman left under dir (in this process's private namespace), last made first.
void detachMountsUnder(const QString &dir)
{
    QList<QByteArray> points;
    for (const QByteArray &line : readFile(QStringLiteral("/proc/self/mountinfo")).split('\n')) {
        const QByteArray point = line.split(' ').value(4);
        if (point.startsWith(QFile::encodeName(dir)))
            points.prepend(point);
    }
    for (const QByteArray &point : points)
        ::umount2(point.constData(), MNT_DETACH);
}

QList<double> hamletRounds(HelperClient &client, const QVariantMap &spec, const QString &prefix, int rounds)
{
    QList<double> times;
    for (int i = 0; i < rounds; ++i) {
        const QString name = prefix + QString::number(i);
        QElapsedTimer timer;
        timer.start();
        const QString failure = createAndWait(client, QStringLiteral("container"), name, spec);
        times << static_cast<double>(timer.nsecsElapsed()) / 1e6;
        if (!failure.isEmpty() || instanceState(client, name) != QLatin1String("running")) {
            std::fprintf(stderr, "create %s: %s\n", qPrintable(name), qPrintable(failure));
            return {};
        }
    }
    // Deleted after the rounds: each create gets a new range, as it would on a busy host.
    for (int i = 0; i < rounds; ++i)
        QCoro::waitFor(client.instanceCall(prefix + QString::number(i), QStringLiteral("Delete")));
    return times;
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int rounds = qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS") > 0
        ? qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS")
        : 15;
    TestSystem system;
    if (!system.startBus() || !system.startHelper()) {
        std::fprintf(stderr, "cannot start the test system: %s\n", qPrintable(system.error()));
        return 1;
    }
    HelperClient client(system.busAddress());
    std::printf("User namespaces (%d rounds each, medians; busybox image, sleep 3600, network none)\n", rounds);
    QVariantMap spec {{QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}},
                      {QStringLiteral("network"), QStringLiteral("none")}};
    if (!createAndWait(client, QStringLiteral("container"), QStringLiteral("warm"), spec).isEmpty())
        return 1;
    // Interleaved halves, so a change in the machine's load hits both kinds alike.
    QVariantMap hostSpec = spec;
    hostSpec.insert(QStringLiteral("userns"), QStringLiteral("host"));
    QList<double> isolated;
    QList<double> host;
    for (int half = 0; half < 2; ++half) {
        const QList<double> a = hamletRounds(client, spec, QStringLiteral("auto%1-").arg(half), (rounds + 1) / 2);
        const QList<double> b = hamletRounds(client, hostSpec, QStringLiteral("host%1-").arg(half), (rounds + 1) / 2);
        if (a.isEmpty() || b.isEmpty())
            return 1;
        isolated << a;
        host << b;
    }

    QTemporaryDir peerDir;
    const QString layer = QDir(system.stateDir() + QStringLiteral("/images/layers"))
                              .entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)
                              .value(0)
                              .filePath();
    QList<double> podmanAuto;
    QList<double> podmanRootful;
    const bool subids = givePodmanSubids(peerDir.path());
    const PodmanPeer podman = PodmanPeer::prepare(peerDir.path(), layer);
    if (subids && podman.ready) {
        for (int i = 0; i < rounds; ++i) {
            podmanAuto << podman.run({QStringLiteral("run"), QStringLiteral("-d"), QStringLiteral("--network"),
                                      QStringLiteral("none"), QStringLiteral("--userns=auto"), QStringLiteral("--name"),
                                      QStringLiteral("a%1").arg(i), PodmanPeer::Image, QStringLiteral("sleep"),
                                      QStringLiteral("3600")});
            podmanRootful << podman.run({QStringLiteral("run"), QStringLiteral("-d"), QStringLiteral("--network"),
                                         QStringLiteral("none"), QStringLiteral("--name"), QStringLiteral("r%1").arg(i),
                                         PodmanPeer::Image, QStringLiteral("sleep"), QStringLiteral("3600")});
        }
        podman.run({QStringLiteral("rm"), QStringLiteral("-f"), QStringLiteral("-t"), QStringLiteral("0"),
                    QStringLiteral("-a")});
        detachMountsUnder(peerDir.path()); // podman's shm mounts, so the directory can go
    } else {
        std::fprintf(stderr, "podman peer unavailable (subids %d, store %d): its rows are unknown\n", subids,
                     podman.ready);
    }
    const double a = median(isolated), h = median(host);
    row("Hamlet userns=auto (default): create+start until running", a, "ms");
    row("Hamlet userns=host: create+start until running", h, "ms");
    row("cost of the user namespace (auto - host)", a - h, "ms");
    if (!podmanAuto.contains(-1) && !podmanAuto.isEmpty()) {
        const double p = median(podmanAuto);
        row("podman run -d --userns=auto (same image layer)", p, "ms");
        row("podman run -d, rootful without userns (reference)", median(podmanRootful), "ms");
        row("ratio podman --userns=auto / Hamlet userns=auto (target >= 1)", p / a, "x");
    } else {
        std::printf("  podman run -d --userns=auto: unknown (podman failed; see stderr)\n");
    }
    QCoro::waitFor(client.instanceCall(QStringLiteral("warm"), QStringLiteral("Delete")));
    return 0;
}
