// One image, three ways (issue 21): the built-in busybox image as a container, as a micro-VM
// (CreateVm source=image) and, for reference, the tiny VM (host kernel + busybox initramfs). For
// each: CreateX to the program's first line of output, Start (from stopped) to the first line,
// and the host memory an idle instance costs (container: its cgroup's memory; VM: QEMU's resident
// set). Prints figures; asserts nothing (this is not a test).
#include "benchsupport.h"
#include "clienttest.h"
#include "testsystem.h"

#include <QCoreApplication>
#include <QTest>

#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Bench;
using namespace Hamlet::Test;

namespace {

const QStringList kProgram {QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                            QStringLiteral("echo first-output; exec sleep 3600")};

double msSince(const QElapsedTimer &timer)
{
    return static_cast<double>(timer.nsecsElapsed()) / 1e6;
}

// Polls a file (a container's log, a micro-VM's console log) until it holds the line.
bool waitInFile(const QString &path, const QByteArray &line, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        if (readFile(path).contains(line))
            return true;
        QTest::qWait(5);
    }
    return false;
}

// The tiny VM keeps no console log: its console is opened at once and read for the banner.
bool waitOnConsole(HelperClient &client, const QString &name, const QByteArray &line, int timeoutMs)
{
    const auto fd = QCoro::waitFor(client.openFd(name, QStringLiteral("OpenConsole")));
    if (!std::holds_alternative<int>(fd))
        return false;
    const bool seen = readUntil(std::get<int>(fd), line, timeoutMs).contains(line);
    ::close(std::get<int>(fd));
    return seen;
}

qulonglong residentBytes(qint64 pid)
{
    for (const QByteArray &line : readFile(QStringLiteral("/proc/%1/status").arg(pid)).split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toULongLong() * 1024;
    }
    return 0;
}

struct Figures {
    QList<double> create;
    QList<double> start;
    QList<double> memory;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int rounds = qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS") > 0
        ? qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS")
        : 3;
    TestSystem system;
    if (!system.startBus() || !system.startHelper()) {
        std::fprintf(stderr, "cannot start the test system: %s\n", qPrintable(system.error()));
        return 1;
    }
    HelperClient client(system.busAddress());
    for (int i = 0; i < 600 && !system.helperLog().contains(QStringLiteral("QEMU capabilities")); ++i)
        QTest::qWait(100);
    const bool kvm = system.helperLog().contains(QStringLiteral("· KVM"));
    std::printf("One image three ways (busybox; VMs: host kernel %s, 1 vCPU, 128 MiB, no NIC, %s; %d rounds, "
                "medians)\n",
                qPrintable(QString::fromUtf8(
                    output(QStringLiteral("sh"), {QStringLiteral("-c"), QStringLiteral("ls /boot/vmlinuz-* | head -1")})
                        .trimmed())),
                kvm ? "KVM" : "TCG", rounds);

    const QVariantMap container {{QStringLiteral("image"), QStringLiteral("busybox")},
                                 {QStringLiteral("network"), QStringLiteral("none")},
                                 {QStringLiteral("command"), kProgram}};
    const QVariantMap microVm {{QStringLiteral("source"), QStringLiteral("image")},
                               {QStringLiteral("image"), QStringLiteral("busybox")},
                               {QStringLiteral("network"), QStringLiteral("none")},
                               {QStringLiteral("memory"), QVariant::fromValue<qulonglong>(128ULL << 20)},
                               {QStringLiteral("command"), kProgram}};
    const QVariantMap tinyVm {{QStringLiteral("source"), QStringLiteral("tiny")},
                              {QStringLiteral("network"), QStringLiteral("none")},
                              {QStringLiteral("memory"), QVariant::fromValue<qulonglong>(128ULL << 20)}};
    struct Way {
        const char *label;
        QString kind;
        QVariantMap spec;
        QByteArray firstLine;
    };
    const QList<Way> ways {{"container (runc)", QStringLiteral("container"), container, "first-output"},
                           {"micro-VM (source=image)", QStringLiteral("vm"), microVm, "first-output"},
                           {"tiny VM (banner)", QStringLiteral("vm"), tinyVm, "Hamlet tiny VM"}};
    // A first micro-VM outside the figures: it makes the image's ext4 disk once (cached after).
    createAndWait(client, QStringLiteral("vm"), QStringLiteral("warm"), microVm);
    QCoro::waitFor(client.instanceCall(QStringLiteral("warm"), QStringLiteral("Delete")));

    for (const Way &way : ways) {
        Figures figures;
        for (int i = 0; i < rounds; ++i) {
            const QString name = QStringLiteral("b%1").arg(i);
            auto firstOutput = [&]() {
                if (way.kind == QLatin1String("container"))
                    return waitInFile(system.stateDir() + QStringLiteral("/containers/%1/container.log").arg(name),
                                      way.firstLine, 60000);
                if (way.spec.value(QStringLiteral("source")) == QStringLiteral("image"))
                    return waitInFile(system.stateDir() + QStringLiteral("/vms/image-vms/%1.console.log").arg(name),
                                      way.firstLine, 120000);
                return waitOnConsole(client, name, way.firstLine, 120000);
            };
            QElapsedTimer timer;
            timer.start();
            const QString failure = createAndWait(client, way.kind, name, way.spec);
            if (!failure.isEmpty() || !firstOutput()) {
                std::fprintf(stderr, "%s %s: no first output (%s)\n", way.label, qPrintable(name), qPrintable(failure));
                return 1;
            }
            figures.create << msSince(timer);
            QTest::qWait(3000); // idle: the boot's work done
            const auto parts = QCoro::waitFor(client.inspect(name));
            const QVariantMap values = std::get_if<QVariantMap>(&parts) ? std::get<QVariantMap>(parts) : QVariantMap();
            figures.memory << (way.kind == QLatin1String("container")
                                   ? values.value(QStringLiteral("memoryUsage")).toDouble()
                                   : static_cast<double>(
                                       residentBytes(values.value(QStringLiteral("pid")).toLongLong())))
                    / (1 << 20);
            QCoro::waitFor(client.stop(name, true));
            if (way.kind == QLatin1String("container")) // its log is appended to: start afresh
                QFile::resize(system.stateDir() + QStringLiteral("/containers/%1/container.log").arg(name), 0);
            timer.restart();
            QCoro::waitFor(client.instanceCall(name, QStringLiteral("Start")));
            if (!firstOutput()) {
                std::fprintf(stderr, "%s %s: no first output after Start\n", way.label, qPrintable(name));
                return 1;
            }
            figures.start << msSince(timer);
            QCoro::waitFor(client.instanceCall(name, QStringLiteral("Delete")));
        }
        std::printf("%s\n", way.label);
        row("Create to first output", median(figures.create), "ms");
        row("Start (from stopped) to first output", median(figures.start), "ms");
        row("host memory when idle (cgroup / QEMU RSS)", median(figures.memory), "MiB");
    }
    return 0;
}
