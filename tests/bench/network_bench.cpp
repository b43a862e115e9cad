// The Hamlet network's cost: create+start of a NAT container against a "none" one and against
// podman run -d --network bridge of the same image, in one run; and throughput container ->
// container and host -> published port against a plain veth pair made by hand (iperf3, run in the
// namespaces with nsenter). Prints figures and ratios; asserts nothing (this is not a test).
#include "benchsupport.h"
#include "clienttest.h"
#include "testsystem.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QThread>

#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Bench;
using namespace Hamlet::Test;

namespace {
const QStringList Sleep {QStringLiteral("sleep"), QStringLiteral("3600")};

QList<double> createTimes(HelperClient &client, const QString &prefix, const QVariantMap &spec, int rounds)
{
    QList<double> times;
    for (int i = 0; i < rounds; ++i) {
        const QString name = prefix + QString::number(i);
        QElapsedTimer timer;
        timer.start();
        const QString failure = createAndWait(client, QStringLiteral("container"), name, spec);
        times << static_cast<double>(timer.nsecsElapsed()) / 1e6;
        if (!failure.isEmpty())
            std::fprintf(stderr, "create %s: %s\n", qPrintable(name), qPrintable(failure));
        QCoro::waitFor(client.instanceCall(name, QStringLiteral("Delete")));
    }
    return times;
}

qint64 pidOf(HelperClient &client, const QString &name)
{
    const auto parts = QCoro::waitFor(client.inspect(name));
    const auto *values = std::get_if<QVariantMap>(&parts);
    return values ? values->value(QStringLiteral("pid")).toLongLong() : 0;
}

QString addressOf(HelperClient &client, const QString &name)
{
    const auto parts = QCoro::waitFor(client.inspect(name));
    const auto *values = std::get_if<QVariantMap>(&parts);
    return values ? values->value(QStringLiteral("address")).toString() : QString();
}

// iperf3 client for 3 s; Gbit/s received, or 0 when it failed. prefix: e.g. nsenter -t PID -n.
double iperf(const QStringList &prefix, const QString &server, int port)
{
    QStringList command = prefix;
    command << QStringLiteral("iperf3") << QStringLiteral("-c") << server << QStringLiteral("-p")
            << QString::number(port) << QStringLiteral("-t") << QStringLiteral("3") << QStringLiteral("-J");
    const QByteArray json = output(command.takeFirst(), command);
    const double bps = QJsonDocument::fromJson(json)
                           .object()
                           .value(QStringLiteral("end"))
                           .toObject()
                           .value(QStringLiteral("sum_received"))
                           .toObject()
                           .value(QStringLiteral("bits_per_second"))
                           .toDouble();
    return bps / 1e9;
}

QStringList inNetns(qint64 pid)
{
    return {QStringLiteral("nsenter"), QStringLiteral("-t"), QString::number(pid), QStringLiteral("-n")};
}

void sh(const QString &script)
{
    QProcess::execute(QStringLiteral("sh"), {QStringLiteral("-c"), script});
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int rounds = qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS") > 0
        ? qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS")
        : 11;
    TestSystem system;
    if (!system.startBus() || !system.startHelper()) {
        std::fprintf(stderr, "cannot start the test system: %s\n", qPrintable(system.error()));
        return 1;
    }
    HelperClient client(system.busAddress());
    std::printf("Network (%d rounds each, medians; busybox image, sleep 3600)\n", rounds);
    const QVariantMap none {{QStringLiteral("command"), Sleep}, {QStringLiteral("network"), QStringLiteral("none")}};
    const QVariantMap nat {{QStringLiteral("command"), Sleep}, {QStringLiteral("network"), QStringLiteral("nat")}};
    // Warm: the built-in image, the bridge's first veth.
    createTimes(client, QStringLiteral("warm"), nat, 1);
    // Interleaved, so that the other load of the machine hits both alike.
    QList<double> natTimes, noneTimes;
    for (int i = 0; i < rounds; ++i) {
        noneTimes << createTimes(client, QStringLiteral("none%1-").arg(i), none, 1);
        natTimes << createTimes(client, QStringLiteral("nat%1-").arg(i), nat, 1);
    }

    // Where the network's part goes: the helper logs each attach with its plugins and DNS update.
    const QStringList attaches = system.helperLog().split(QLatin1Char('\n')).filter(QStringLiteral(" attached to "));
    for (const QString &line : attaches.mid(std::max<qsizetype>(0, attaches.size() - 3)))
        std::printf("  helper: %s\n", qPrintable(line.section(QStringLiteral("] "), -1)));

    // podman run -d --network bridge of the same layer, in a private store.
    QTemporaryDir peerDir;
    const QString layer = QDir(system.stateDir() + QStringLiteral("/images/layers"))
                              .entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)
                              .value(0)
                              .filePath();
    const PodmanPeer podman = PodmanPeer::prepare(peerDir.path(), layer);
    QList<double> podmanTimes;
    if (podman.ready) {
        for (int i = 0; i < rounds; ++i) {
            podmanTimes << podman.run({QStringLiteral("run"), QStringLiteral("-d"), QStringLiteral("--network"),
                                       QStringLiteral("bridge"), QStringLiteral("--name"), QStringLiteral("p%1").arg(i),
                                       PodmanPeer::Image, QStringLiteral("sleep"), QStringLiteral("3600")});
            podman.run({QStringLiteral("rm"), QStringLiteral("-f"), QStringLiteral("p%1").arg(i)});
        }
    }
    const double n = median(noneTimes), t = median(natTimes), p = median(podmanTimes);
    row("Hamlet: create+start, network none", n, "ms");
    row("Hamlet: create+start, network nat", t, "ms");
    row("the network's cost, nat - none (target <= 15)", t - n, "ms");
    row("podman run -d --network bridge", p, "ms");
    row("ratio podman bridge / Hamlet nat (target > 1)", p / t, "x");

    // Throughput. A and B on the Hamlet network, iperf3 servers in A's namespace.
    const VariantMapList ports {
        QVariantMap {{QStringLiteral("hostPort"), 15201u}, {QStringLiteral("guestPort"), 5201u}}};
    QVariantMap served = nat;
    served.insert(QStringLiteral("ports"), QVariant::fromValue(ports));
    createAndWait(client, QStringLiteral("container"), QStringLiteral("ta"), served);
    createAndWait(client, QStringLiteral("container"), QStringLiteral("tb"), nat);
    const qint64 a = pidOf(client, QStringLiteral("ta")), b = pidOf(client, QStringLiteral("tb"));
    const QString addressA = addressOf(client, QStringLiteral("ta"));
    QProcess serverA;
    serverA.start(QStringLiteral("nsenter"),
                  inNetns(a).mid(1) + QStringList {QStringLiteral("iperf3"), QStringLiteral("-s")});
    // The peer: a veth pair between two namespaces, by hand.
    const QString nsX = QStringLiteral("hmbx%1").arg(::getpid()), nsY = QStringLiteral("hmby%1").arg(::getpid());
    sh(QStringLiteral(
           "ip netns add %1 && ip netns add %2 && ip link add hmbv%3 netns %1 type veth peer name hmbw%3 netns %2 && "
           "ip -n %1 addr add 169.254.77.1/30 dev hmbv%3 && ip -n %2 addr add 169.254.77.2/30 dev hmbw%3 && "
           "ip -n %1 link set hmbv%3 up && ip -n %2 link set hmbw%3 up && ip -n %1 link set lo up")
           .arg(nsX, nsY)
           .arg(::getpid()));
    QProcess serverX;
    serverX.start(
        QStringLiteral("ip"),
        {QStringLiteral("netns"), QStringLiteral("exec"), nsX, QStringLiteral("iperf3"), QStringLiteral("-s")});
    QThread::msleep(500);
    QList<double> plain, c2c, published;
    for (int i = 0; i < 3; ++i) {
        plain << iperf({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("exec"), nsY},
                       QStringLiteral("169.254.77.1"), 5201);
        c2c << iperf(inNetns(b), addressA, 5201);
        published << iperf({}, QStringLiteral("127.0.0.1"), 15201);
    }
    serverA.kill();
    serverX.kill();
    serverA.waitForFinished();
    serverX.waitForFinished();
    sh(QStringLiteral("ip netns del %1; ip netns del %2").arg(nsX, nsY));
    const double pl = median(plain), cc = median(c2c), pub = median(published);
    row("iperf3 plain veth pair between two namespaces", pl, "Gbit/s");
    row("iperf3 container -> container over the bridge", cc, "Gbit/s");
    row("iperf3 host -> 127.0.0.1 published port (DNAT)", pub, "Gbit/s");
    row("container -> container / plain veth (target >= 0.8)", cc / pl, "x");
    row("published port / plain veth (target >= 0.8)", pub / pl, "x");
    QCoro::waitFor(client.instanceCall(QStringLiteral("ta"), QStringLiteral("Delete")));
    QCoro::waitFor(client.instanceCall(QStringLiteral("tb"), QStringLiteral("Delete")));
    return 0;
}
