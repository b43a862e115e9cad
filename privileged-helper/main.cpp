#include "hamlet_version.h"
#include "helperservice.h"
#include "libvirtconnection.h"
#include "logging.h"
#include "quitonsignals.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <malloc.h>

int main(int argc, char *argv[])
{
    // glibc gives every thread that allocates its own arena: the embedded libvirt's short-lived
    // per-VM threads grew the helper by 16 MiB over its first two VM starts, and with two arenas
    // it still jumped by 6 MiB at times (measured by tst_soak). One arena, whose freed top is
    // trimmed, keeps it flat (+0.6 MiB over 12 VM cycles); the helper is mostly single-threaded.
    ::mallopt(M_ARENA_MAX, 1);
    Hamlet::Vms::LibvirtConnection::prepareProcess(); // before Qt picks its event dispatcher
    QCoreApplication app(argc, argv);
    const Hamlet::QuitOnSignals quitOnSignals;
    app.setApplicationName(QStringLiteral("hamlet-helper"));
    app.setApplicationVersion(QStringLiteral(HAMLET_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Hamlet's privileged helper: containers and VMs over D-Bus."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption bus(QStringLiteral("bus"), QStringLiteral("\"system\" or a D-Bus address."),
                                 QStringLiteral("bus"), QStringLiteral("system"));
    const QCommandLineOption stateDir(QStringLiteral("state-dir"), QStringLiteral("State directory."),
                                      QStringLiteral("dir"), QStringLiteral("/var/lib/hamlet"));
    const QCommandLineOption runDir(QStringLiteral("run-dir"), QStringLiteral("Runtime directory."),
                                    QStringLiteral("dir"), QStringLiteral("/run/hamlet"));
    const QCommandLineOption runtime(QStringLiteral("runtime"), QStringLiteral("OCI runtime binary to use."),
                                     QStringLiteral("path"));
    const QCommandLineOption libvirtUri(QStringLiteral("libvirt-uri"), QStringLiteral("libvirt connection URI."),
                                        QStringLiteral("uri"));
    const QCommandLineOption probeCache(QStringLiteral("probe-cache"),
                                        QStringLiteral("File keeping the KVM probe's verdict for this boot."),
                                        QStringLiteral("file"));
    const QCommandLineOption maxLayerBytes(
        QStringLiteral("max-layer-bytes"),
        QStringLiteral("Refuse image layers (and imported blobs) larger than this when unpacked (default 16 GiB)."),
        QStringLiteral("bytes"));
    const QCommandLineOption networkBridge(QStringLiteral("network-bridge"),
                                           QStringLiteral("Bridge of the Hamlet network (default hamlet0)."),
                                           QStringLiteral("name"), QStringLiteral("hamlet0"));
    const QCommandLineOption networkPool(
        QStringLiteral("network-pool"),
        QStringLiteral("IPv4 pool the network's /24 is chosen from at first use (default 10.90.0.0/16)."),
        QStringLiteral("cidr"), QStringLiteral("10.90.0.0/16"));
    const QCommandLineOption exitWhenIdle(
        QStringLiteral("exit-when-idle"),
        QStringLiteral("Exit after this many seconds with nothing running, nobody subscribed and no call or job "
                       "under way; D-Bus activation starts the helper again (default 0: never)."),
        QStringLiteral("seconds"), QStringLiteral("0"));
    const QCommandLineOption runtimeTimeout(
        QStringLiteral("runtime-timeout"),
        QStringLiteral("Kill an OCI runtime call that takes longer than this many seconds and fail it (default 60)."),
        QStringLiteral("seconds"), QStringLiteral("60"));
    const QCommandLineOption noHistory(
        QStringLiteral("no-history"),
        QStringLiteral("Record no history (STATE/history.sqlite); GetHistory then fails. For comparisons."));
    const QCommandLineOption subidDir(
        QStringLiteral("subid-dir"),
        QStringLiteral("Directory of the subuid and subgid files holding the helper's \"hamlet\" id range for "
                       "containers' user namespaces (default /etc; reserved there at the first start)."),
        QStringLiteral("dir"), QStringLiteral("/etc"));
    const QCommandLineOption verbose(QStringLiteral("verbose"), QStringLiteral("Log debug messages."));
    parser.addOptions({bus, stateDir, runDir, runtime, libvirtUri, probeCache, maxLayerBytes, networkBridge,
                       networkPool, exitWhenIdle, runtimeTimeout, noHistory, subidDir, verbose});
    parser.process(app);

    Hamlet::Log::setup("hamlet-helper", parser.isSet(verbose));
    bool idleSecondsValid = false;
    const double idleSeconds = parser.value(exitWhenIdle).toDouble(&idleSecondsValid);
    if (!idleSecondsValid || idleSeconds < 0) {
        Hamlet::Log::helper()->critical("--exit-when-idle takes a number of seconds, not \"{}\"",
                                        parser.value(exitWhenIdle).toStdString());
        return 2;
    }
    const int runtimeSeconds = parser.value(runtimeTimeout).toInt();
    if (runtimeSeconds <= 0) {
        Hamlet::Log::helper()->critical("--runtime-timeout takes a positive number of seconds, not \"{}\"",
                                        parser.value(runtimeTimeout).toStdString());
        return 2;
    }
    Hamlet::HelperService service(
        {parser.value(bus), parser.value(stateDir), parser.value(runDir), parser.value(runtime),
         parser.value(libvirtUri), parser.value(probeCache), parser.value(maxLayerBytes).toULongLong(),
         std::chrono::milliseconds(static_cast<qint64>(idleSeconds * 1000)), parser.value(networkBridge),
         parser.value(networkPool), std::chrono::seconds(runtimeSeconds), !parser.isSet(noHistory),
         parser.value(subidDir)});
    service.start().then([](bool ready) {
        // Queued: start() may fail before the event loop runs, when exit() would do nothing.
        if (!ready)
            QMetaObject::invokeMethod(
                qApp, [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    });
    return app.exec();
}
