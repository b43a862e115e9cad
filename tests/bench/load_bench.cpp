// Load (issue 15): 20 clients at once creating, listing, inspecting and deleting containers
// against one helper; then 200 running busybox containers: how fast ListInstances answers, the
// sampler's cost per tick, and the helper's memory while a subscriber that never reads (a
// watcher stopped with SIGSTOP) is sent Samples. Prints figures; asserts nothing (not a test).
//   HAMLET_LOAD_CLIENTS (20), HAMLET_LOAD_ROUNDS (5), HAMLET_LOAD_CONTAINERS (200)
#include "benchsupport.h"
#include "clienttest.h"
#include "helperfootprint.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QMap>
#include <QTest>

#include <csignal>
#include <memory>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Bench;
using namespace Hamlet::Test;

namespace {

const QVariantMap Sleeper {{QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("3600")}}};

struct Tally {
    int done = 0;
    QList<double> listMs;
    QMap<QString, int> refusals; // error name: count
};

int fromEnvironment(const char *name, int fallback)
{
    const int value = qEnvironmentVariableIntValue(name);
    return value > 0 ? value : fallback;
}

template <typename T> bool note(const Result<T> &result, Tally *tally)
{
    if (const auto *error = std::get_if<ClientError>(&result)) {
        ++tally->refusals[error->name + QStringLiteral(": ") + error->message.left(80)];
        return false;
    }
    return true;
}

// One client's rounds: create (and wait), list, inspect, delete.
QCoro::Task<> clientRounds(HelperClient *client, int id, int rounds, Tally *tally)
{
    for (int round = 0; round < rounds; ++round) {
        const QString name = QStringLiteral("load%1-%2").arg(id).arg(round);
        const QVariantMap spec = Sleeper; // named: GCC 12 and temporaries in co_await
        const Result<QString> job = co_await client->createContainer(name, spec);
        if (!note(job, tally))
            continue;
        const QString path = std::get<QString>(job);
        const Result<QString> created = co_await client->waitForJob(path);
        if (!note(created, tally))
            continue;
        QElapsedTimer timer;
        timer.start();
        const Result<InstanceSummaryList> listed = co_await client->listInstances();
        tally->listMs << static_cast<double>(timer.nsecsElapsed()) / 1e6;
        note(listed, tally);
        const Result<QVariantMap> parts = co_await client->inspect(name);
        note(parts, tally);
        const QString verb = QStringLiteral("Delete");
        const Result<bool> deleted = co_await client->instanceCall(name, verb);
        if (note(deleted, tally))
            ++tally->done;
    }
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int clients = fromEnvironment("HAMLET_LOAD_CLIENTS", 20);
    const int rounds = fromEnvironment("HAMLET_LOAD_ROUNDS", 5);
    const int running = fromEnvironment("HAMLET_LOAD_CONTAINERS", 200);
    TestSystem system;
    if (!system.startBus() || !system.startHelper()) {
        std::fprintf(stderr, "%s\n", qPrintable(system.error()));
        return 1;
    }
    HelperClient client(system.busAddress());
    if (!createAndWait(client, QStringLiteral("container"), QStringLiteral("warm"), Sleeper).isEmpty())
        return 1;

    std::printf("%d clients at once, %d rounds each of create, list, inspect, delete\n", clients, rounds);
    std::vector<std::unique_ptr<HelperClient>> connections;
    Tally tally;
    int unfinished = clients;
    QEventLoop loop;
    QElapsedTimer wall;
    wall.start();
    for (int i = 0; i < clients; ++i) {
        connections.push_back(std::make_unique<HelperClient>(system.busAddress()));
        clientRounds(connections.back().get(), i, rounds, &tally).then([&unfinished, &loop] {
            if (--unfinished == 0)
                loop.quit();
        });
    }
    loop.exec();
    const double seconds = static_cast<double>(wall.elapsed()) / 1000.0;
    row("rounds done (of clients x rounds)", tally.done, "");
    row("rounds per second", tally.done / seconds, "/s");
    row("ListInstances during the load, median", median(tally.listMs), "ms");
    row("ListInstances during the load, max",
        tally.listMs.isEmpty() ? 0 : *std::max_element(tally.listMs.cbegin(), tally.listMs.cend()), "ms");
    for (auto it = tally.refusals.cbegin(); it != tally.refusals.cend(); ++it)
        std::printf("  refused %d times: %s\n", it.value(), qPrintable(it.key()));

    std::printf("%d running containers\n", running);
    for (int i = 0; i < running; ++i) {
        const QString failed
            = createAndWait(client, QStringLiteral("container"), QStringLiteral("r%1").arg(i), Sleeper);
        if (!failed.isEmpty()) {
            std::fprintf(stderr, "container %d: %s\n", i, qPrintable(failed));
            return 1;
        }
    }
    QList<double> listMs;
    for (int i = 0; i < 50; ++i) {
        QElapsedTimer timer;
        timer.start();
        QCoro::waitFor(client.listInstances());
        listMs << static_cast<double>(timer.nsecsElapsed()) / 1e6;
    }
    row("ListInstances, median (target < 50)", median(listMs), "ms");
    row("ListInstances, max", *std::max_element(listMs.cbegin(), listMs.cend()), "ms");

    // A subscriber that never reads: its backlog is the bus daemon's to bound, not the helper's.
    const qint64 helper = system.helperPid();
    auto stalled = system.spawn({}, TestSystem::watcherProgram(),
                                {QStringLiteral("--bus"), system.busAddress(), QStringLiteral("--subscribe"),
                                 QStringLiteral("200"), QStringLiteral("--for"), QStringLiteral("600000")});
    QTest::qWait(2000);
    ::kill(static_cast<pid_t>(stalled->processId()), SIGSTOP);
    const qulonglong rssBefore = rssKiBOf(helper);
    QTest::qWait(60000);
    const qulonglong rssAfter = rssKiBOf(helper);
    row("helper RSS before a stalled subscriber (200 ms Samples)", static_cast<double>(rssBefore) / 1024, "MiB");
    row("helper RSS 60 s later", static_cast<double>(rssAfter) / 1024, "MiB");
    ::kill(static_cast<pid_t>(stalled->processId()), SIGKILL);
    stalled->waitForFinished(5000);

    for (int i = 0; i < running; ++i)
        QCoro::waitFor(client.instanceCall(QStringLiteral("r%1").arg(i), QStringLiteral("Delete")));
    QCoro::waitFor(client.instanceCall(QStringLiteral("warm"), QStringLiteral("Delete")));
    return 0;
}
