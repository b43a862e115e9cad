// VMs: CreateVm (tiny) over D-Bus until running, against virsh define + start of the same domain
// XML on its own embedded libvirt, in one run; and the time from Start to the tiny VM's banner
// on the console. Prints figures and ratios; asserts nothing (this is not a test).
// --driver=system runs the helper on a system-mode libvirtd the harness starts (QEMU as
// libvirt-qemu) instead of the embedded driver; the virsh comparison is for the embedded one.
#include "benchsupport.h"
#include "clienttest.h"
#include "testsystem.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <poll.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Bench;
using namespace Hamlet::Test;

namespace {
QVariantMap tiny()
{
    return {{QStringLiteral("source"), QStringLiteral("tiny")},
            {QStringLiteral("memory"), QVariant::fromValue<qulonglong>(128ULL << 20)},
            {QStringLiteral("vcpus"), 1u}};
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const bool systemDriver = app.arguments().contains(QStringLiteral("--driver=system"));
    if (systemDriver)
        qputenv("HAMLET_TEST_LIBVIRT", "system");
    const int rounds = qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS") > 0
        ? qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS")
        : 5;
    TestSystem system;
    if (!system.startBus() || !system.startHelper()) {
        std::fprintf(stderr, "cannot start the test system: %s\n", qPrintable(system.error()));
        return 1;
    }
    HelperClient client(system.busAddress());
    // Wait for the helper's own QEMU probe, as a person opening the app would not notice it.
    for (int i = 0; i < 600 && !system.helperLog().contains(QStringLiteral("QEMU capabilities")); ++i)
        QTest::qWait(100);
    std::printf("VMs (tiny VM: host kernel + busybox initramfs, 128 MiB, 1 vCPU, %s, libvirt %s; %d rounds, "
                "medians)\n",
                system.helperLog().contains(QStringLiteral("· KVM")) ? "KVM" : "TCG",
                systemDriver ? "system daemon" : "embedded", rounds);

    QList<double> hamlet;
    QString xml;
    QTemporaryDir bootCopies;
    for (int i = 0; i < rounds; ++i) {
        const QString name = QStringLiteral("v%1").arg(i);
        QElapsedTimer timer;
        timer.start();
        const QString failure = createAndWait(client, QStringLiteral("vm"), name, tiny());
        hamlet << static_cast<double>(timer.nsecsElapsed()) / 1e6;
        if (!failure.isEmpty()) {
            std::fprintf(stderr, "CreateVm %s: %s\n", qPrintable(name), qPrintable(failure));
            return 1;
        }
        if (xml.isEmpty()) {
            const auto parts = QCoro::waitFor(client.inspect(name));
            xml = std::get<QVariantMap>(parts).value(QStringLiteral("xml")).toString();
            // The kernel and initrd it names are staged per VM and go with it: the peer keeps copies.
            const QString staged = system.runDir() + QStringLiteral("-vmfiles/") + name;
            for (const QString &file : {QStringLiteral("kernel"), QStringLiteral("initrd")}) {
                QFile::copy(staged + QLatin1Char('/') + file, bootCopies.filePath(file));
                xml.replace(staged + QLatin1Char('/') + file, bootCopies.filePath(file));
            }
        }
        QCoro::waitFor(client.instanceCall(name, QStringLiteral("Delete")));
    }

    const double h = median(hamlet);
    row("Hamlet: CreateVm(tiny) over D-Bus until running", h, "ms");
    if (!systemDriver) {
        // virsh on its own embedded libvirt: the same XML, renamed; the driver's start-up cost
        // (a "list" in a fresh process) is measured and taken off.
        QTemporaryDir peer;
        const QString uri = QStringLiteral("qemu:///embed?root=%1").arg(peer.filePath(QStringLiteral("libvirt")));
        xml.replace(QRegularExpression(QStringLiteral("<uuid>[^<]*</uuid>")), QString());
        xml.replace(QRegularExpression(QStringLiteral("<name>v0</name>")), QStringLiteral("<name>peer</name>"));
        xml.replace(QRegularExpression(QStringLiteral("<pidfile>[^<]*</pidfile>")), QString());
        // The same driver settings as the helper's embedded root (files for logs, no virtlogd).
        QDir().mkpath(peer.filePath(QStringLiteral("libvirt/etc")));
        QFile::copy(system.stateDir() + QStringLiteral("/libvirt/etc/qemu.conf"),
                    peer.filePath(QStringLiteral("libvirt/etc/qemu.conf")));
        QFile file(peer.filePath(QStringLiteral("peer.xml")));
        file.open(QIODevice::WriteOnly);
        file.write(xml.toUtf8());
        file.close();
        timedRun(QStringLiteral("virsh"),
                 {QStringLiteral("-c"), uri, QStringLiteral("define"), file.fileName()}); // probe once
        timedRun(QStringLiteral("virsh"),
                 {QStringLiteral("-c"), uri, QStringLiteral("undefine"), QStringLiteral("peer")});
        QList<double> virsh;
        QList<double> virshIdle;
        for (int i = 0; i < rounds; ++i) {
            virshIdle << timedRun(QStringLiteral("virsh"), {QStringLiteral("-c"), uri, QStringLiteral("list")});
            virsh << timedRun(
                QStringLiteral("virsh"),
                {QStringLiteral("-c"), uri, QStringLiteral("define %1 ; start peer").arg(file.fileName())});
            timedRun(QStringLiteral("virsh"),
                     {QStringLiteral("-c"), uri, QStringLiteral("destroy peer ; undefine peer")});
        }
        const double v = median(virsh) - median(virshIdle);
        row("virsh define + start of the same XML (driver start-up taken off)", v, "ms");
        row("virsh start-up alone (a 'list' in a new process), not counted", median(virshIdle), "ms");
        row("ratio Hamlet / virsh (target <= 1.2)", h / v, "x");
    }

    // Start to banner.
    if (!createAndWait(client, QStringLiteral("vm"), QStringLiteral("boot"), tiny()).isEmpty())
        return 1;
    QList<double> banner;
    for (int i = 0; i < rounds; ++i) {
        QCoro::waitFor(client.stop(QStringLiteral("boot"), true));
        QElapsedTimer timer;
        timer.start();
        QCoro::waitFor(client.instanceCall(QStringLiteral("boot"), QStringLiteral("Start")));
        const auto fd = QCoro::waitFor(client.openFd(QStringLiteral("boot"), QStringLiteral("OpenConsole")));
        if (!std::holds_alternative<int>(fd))
            return 1;
        const bool seen = readUntil(std::get<int>(fd), "Hamlet tiny VM", 60000).contains("Hamlet tiny VM");
        ::close(std::get<int>(fd));
        if (seen)
            banner << static_cast<double>(timer.nsecsElapsed()) / 1e6;
    }
    row("Start to the tiny VM's banner on the serial console", median(banner), "ms");
    QCoro::waitFor(client.instanceCall(QStringLiteral("boot"), QStringLiteral("Delete")));
    return 0;
}
