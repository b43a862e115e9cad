// Containers: create+start through D-Bus until running, against runc run -d of an equivalent
// bundle and podman run -d of the same image, in one run; and the sampler's cost per tick with
// 100 running containers. Prints figures and ratios; asserts nothing (this is not a test).
#include "benchsupport.h"
#include "clienttest.h"
#include "testsystem.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Bench;
using namespace Hamlet::Test;

namespace {
const QStringList Sleep {QStringLiteral("sleep"), QStringLiteral("3600")};

qint64 cpuTicksOf(qint64 pid)
{
    const QByteArray stat = readFile(QStringLiteral("/proc/%1/stat").arg(pid));
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    return fields.value(11).toLongLong() + fields.value(12).toLongLong(); // utime + stime
}

// A bundle runc can run with the same config.json Hamlet wrote (limits, seccomp, caps), on a
// plain copy of the image's layer instead of Hamlet's overlay.
bool prepareRuncBundle(const QString &hamletBundle, const QString &layer, const QString &bundle)
{
    QDir().mkpath(bundle);
    if (QProcess::execute(QStringLiteral("cp"), {QStringLiteral("-a"), layer, bundle + QStringLiteral("/rootfs")}) != 0)
        return false;
    QJsonObject config = QJsonDocument::fromJson(readFile(hamletBundle + QStringLiteral("/config.json"))).object();
    config[QStringLiteral("root")] = QJsonObject {{QStringLiteral("path"), bundle + QStringLiteral("/rootfs")},
                                                  {QStringLiteral("readonly"), false}};
    QJsonObject linux = config[QStringLiteral("linux")].toObject();
    linux[QStringLiteral("cgroupsPath")] = QStringLiteral("/hamlet-bench-runc/peer");
    // Hamlet's default container has a user namespace (issue 17): the copy belongs to its mapped
    // root, as Hamlet's idmapped layers show it, and the path to it is searchable by that root.
    const QJsonArray uidMappings = linux[QStringLiteral("uidMappings")].toArray();
    if (!uidMappings.isEmpty()) {
        const QString owner = QString::number(uidMappings.at(0).toObject().value(QStringLiteral("hostID")).toInteger());
        if (QProcess::execute(
                QStringLiteral("chown"),
                {QStringLiteral("-R"), owner + QLatin1Char(':') + owner, bundle + QStringLiteral("/rootfs")})
            != 0)
            return false;
        for (const QString &dir : {bundle, QFileInfo(bundle).absolutePath()})
            QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ExeOther);
    }
    config[QStringLiteral("linux")] = linux;
    QFile file(bundle + QStringLiteral("/config.json"));
    return file.open(QIODevice::WriteOnly) && file.write(QJsonDocument(config).toJson()) > 0;
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int rounds = qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS") > 0
        ? qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS")
        : 15;
    const int sampled = qEnvironmentVariableIntValue("HAMLET_BENCH_CONTAINERS") > 0
        ? qEnvironmentVariableIntValue("HAMLET_BENCH_CONTAINERS")
        : 100;
    TestSystem system;
    if (!system.startBus() || !system.startHelper()) {
        std::fprintf(stderr, "cannot start the test system: %s\n", qPrintable(system.error()));
        return 1;
    }
    HelperClient client(system.busAddress());
    std::printf("Containers (%d rounds each, medians; busybox image, sleep 3600, 0.5 CPU, 64 MiB, 64 pids)\n", rounds);

    // Warm: builds the built-in image once, like any second container of a user.
    QVariantMap spec {{QStringLiteral("command"), Sleep},
                      {QStringLiteral("cpus"), 0.5},
                      {QStringLiteral("memory"), QVariant::fromValue<qulonglong>(64ULL << 20)},
                      {QStringLiteral("pids"), QVariant::fromValue<qulonglong>(64)},
                      // As the peers below (runc's bundle, podman --network none): network_bench
                      // measures the Hamlet network's cost.
                      {QStringLiteral("network"), QStringLiteral("none")}};
    if (!createAndWait(client, QStringLiteral("container"), QStringLiteral("warm"), spec).isEmpty())
        return 1;

    QList<double> hamlet;
    for (int i = 0; i < rounds; ++i) {
        const QString name = QStringLiteral("b%1").arg(i);
        QElapsedTimer timer;
        timer.start();
        const QString failure = createAndWait(client, QStringLiteral("container"), name, spec);
        hamlet << static_cast<double>(timer.nsecsElapsed()) / 1e6;
        if (!failure.isEmpty() || instanceState(client, name) != QLatin1String("running")) {
            std::fprintf(stderr, "create %s: %s\n", qPrintable(name), qPrintable(failure));
            return 1;
        }
        QCoro::waitFor(client.instanceCall(name, QStringLiteral("Delete")));
    }

    // runc run -d of the same config.json on a copy of the same layer.
    QTemporaryDir peerDir;
    const QString layer = QDir(system.stateDir() + QStringLiteral("/images/layers"))
                              .entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)
                              .value(0)
                              .filePath();
    const QString bundle = peerDir.filePath(QStringLiteral("bundle"));
    if (!prepareRuncBundle(system.stateDir() + QStringLiteral("/containers/warm"), layer, bundle))
        return 1;
    const QString runcRoot = peerDir.filePath(QStringLiteral("runc"));
    QList<double> runc;
    for (int i = 0; i < rounds; ++i) {
        const QString id = QStringLiteral("peer%1").arg(i);
        runc << timedRun(QStringLiteral("runc"),
                         {QStringLiteral("--root"), runcRoot, QStringLiteral("run"), QStringLiteral("-d"),
                          QStringLiteral("--bundle"), bundle, id});
        timedRun(QStringLiteral("runc"),
                 {QStringLiteral("--root"), runcRoot, QStringLiteral("delete"), QStringLiteral("--force"), id});
    }

    // podman run -d of the same layer, imported as an image into a private store.
    const PodmanPeer podman = PodmanPeer::prepare(peerDir.path(), layer);
    QList<double> podmanTimes;
    if (podman.ready) {
        for (int i = 0; i < rounds; ++i) {
            podmanTimes << podman.run(
                {QStringLiteral("run"), QStringLiteral("-d"), QStringLiteral("--network"), QStringLiteral("none"),
                 QStringLiteral("--cpus"), QStringLiteral("0.5"), QStringLiteral("--memory"), QStringLiteral("64m"),
                 QStringLiteral("--pids-limit"), QStringLiteral("64"), QStringLiteral("--name"),
                 QStringLiteral("p%1").arg(i), PodmanPeer::Image, QStringLiteral("sleep"), QStringLiteral("3600")});
        }
        podman.run({QStringLiteral("rm"), QStringLiteral("-f"), QStringLiteral("-a")});
    }
    const double h = median(hamlet), r = median(runc), p = median(podmanTimes);
    row("Hamlet: CreateContainer over D-Bus until running", h, "ms");
    row("runc run -d (same config.json, plain rootfs copy)", r, "ms");
    row("podman run -d (same image layer)", p, "ms");
    row("ratio Hamlet / runc (target <= 1.25)", h / r, "x");
    row("ratio podman / Hamlet (target >= 5)", p / h, "x");

    // The sampler's cost with many running containers.
    std::printf("Sampler with %d running containers, 1 s interval\n", sampled);
    for (int i = 0; i < sampled; ++i) {
        if (!createAndWait(client, QStringLiteral("container"), QStringLiteral("s%1").arg(i), spec).isEmpty())
            return 1;
    }
    const qint64 pid = system.helperPid();
    QSignalSpy samples(&client, &HelperClient::samples);
    QTest::qWait(2000); // idle: nobody subscribed
    const qint64 idleStart = cpuTicksOf(pid);
    QTest::qWait(5000);
    const qint64 idleTicks = cpuTicksOf(pid) - idleStart;
    QCoro::waitFor(client.subscribe(1000));
    QTest::qWait(1500);
    const qint64 start = cpuTicksOf(pid);
    const qsizetype before = samples.size();
    QTest::qWait(10000);
    const qint64 ticks = cpuTicksOf(pid) - start;
    const qsizetype batches = samples.size() - before;
    QCoro::waitFor(client.unsubscribe());
    const double msPerTick = batches > 0
        ? (1000.0 * static_cast<double>(ticks - 2 * idleTicks) / sysconf(_SC_CLK_TCK)) / static_cast<double>(batches)
        : 0;
    qsizetype entries = 0;
    if (!samples.isEmpty())
        entries = samples.last().at(1).value<SampleBatch>().size();
    row("entries per Samples batch", static_cast<double>(entries), "");
    row("helper CPU per tick, idle subtracted (target <= 10)", msPerTick, "ms");
    row("helper CPU while nobody is subscribed, per second",
        1000.0 * static_cast<double>(idleTicks) / sysconf(_SC_CLK_TCK) / 5.0, "ms");

    for (int i = 0; i < sampled; ++i)
        QCoro::waitFor(client.instanceCall(QStringLiteral("s%1").arg(i), QStringLiteral("Delete")));
    QCoro::waitFor(client.instanceCall(QStringLiteral("warm"), QStringLiteral("Delete")));
    return 0;
}
