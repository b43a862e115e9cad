#pragma once

#include <QElapsedTimer>
#include <QFile>
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <cstdio>

// Small helpers shared by the benchmarks: timing, medians, running a peer program.
namespace Hamlet::Bench {

inline double median(QList<double> values)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    const qsizetype middle = values.size() / 2;
    return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

// Runs a program to completion; returns milliseconds, or -1 when it failed (and says why).
inline double timedRun(const QString &program, const QStringList &arguments, const QStringList &environment = {})
{
    QProcess process;
    if (!environment.isEmpty())
        process.setEnvironment(QProcess::systemEnvironment() + environment);
    QElapsedTimer timer;
    timer.start();
    process.start(program, arguments);
    if (!process.waitForFinished(120000) || process.exitCode() != 0) {
        std::fprintf(stderr, "%s %s failed: %s\n", qPrintable(program), qPrintable(arguments.join(QLatin1Char(' '))),
                     process.readAllStandardError().constData());
        return -1;
    }
    return static_cast<double>(timer.nsecsElapsed()) / 1e6;
}

inline QByteArray output(const QString &program, const QStringList &arguments)
{
    QProcess process;
    process.start(program, arguments);
    process.waitForFinished(120000);
    return process.readAllStandardOutput();
}

inline void row(const char *what, double value, const char *unit)
{
    std::printf("  %-58s %10.2f %s\n", what, value, unit);
}

// The podman peer: a private store under dir, the configuration this machine needs (hard rlimits
// cannot be raised here: default_ulimits = []; no systemd: cgroupfs, file events; runc), and the
// busybox layer imported as IMAGE. ready is false when that could not be done.
struct PodmanPeer {
    static inline const QString Image = QStringLiteral("localhost/hamlet-busybox:bench");
    QStringList globalArguments;
    QStringList environment;
    bool ready = false;

    static PodmanPeer prepare(const QString &dir, const QString &layer)
    {
        PodmanPeer peer;
        QFile conf(dir + QStringLiteral("/containers.conf"));
        if (!conf.open(QIODevice::WriteOnly))
            return peer;
        conf.write("[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = \"cgroupfs\"\n"
                   "events_logger = \"file\"\nruntime = \"runc\"\n");
        conf.close();
        peer.environment = {QStringLiteral("CONTAINERS_CONF=") + conf.fileName()};
        peer.globalArguments = {QStringLiteral("--root"), dir + QStringLiteral("/podman/root"),
                                QStringLiteral("--runroot"), dir + QStringLiteral("/podman/run")};
        const QString tarball = dir + QStringLiteral("/busybox.tar");
        peer.ready
            = QProcess::execute(QStringLiteral("tar"),
                                {QStringLiteral("-C"), layer, QStringLiteral("-cf"), tarball, QStringLiteral(".")})
                == 0
            && peer.run({QStringLiteral("import"), tarball, Image}) >= 0;
        return peer;
    }

    // Milliseconds the podman command took; negative when it failed.
    double run(const QStringList &arguments) const
    {
        return timedRun(QStringLiteral("podman"), globalArguments + arguments, environment);
    }
};

} // namespace Hamlet::Bench
