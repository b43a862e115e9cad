#include "comparefacts.h"

#include "imagedisk.h"
#include "namespacefacts.h"

#include <QDirIterator>
#include <QFile>
#include <QSet>

#include <sys/stat.h>
#include <sys/utsname.h>

namespace Hamlet::CompareFacts {

namespace {

QString hostRelease()
{
    struct utsname name {
    };
    return ::uname(&name) == 0 ? QString::fromLatin1(name.release) : QString();
}

// VmRSS of /proc/PID/status in bytes, -1 when it cannot be read.
qint64 residentBytes(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    return -1;
}

int bitsSet(const QString &hex)
{
    bool ok = false;
    const qulonglong mask = hex.toULongLong(&ok, 16);
    return ok ? __builtin_popcountll(mask) : -1;
}

QStringList containerWalls(const QVariantMap &parts, QStringList &summary)
{
    QStringList walls;
    walls << QStringLiteral("pivot_root into its own root filesystem (an overlay of the image's layers)");
    summary << QStringLiteral("pivot_root");
    const QVariantMap namespaces = parts.value(QStringLiteral("namespaces")).toMap();
    QStringList own;
    QStringList shared;
    QStringList unknown;
    for (auto it = namespaces.cbegin(); it != namespaces.cend(); ++it) {
        switch (NamespaceFacts::stateOf(it.value().toMap())) {
        case NamespaceFacts::State::Isolated:
            own << it.key();
            break;
        case NamespaceFacts::State::Shared:
            shared << it.key();
            break;
        case NamespaceFacts::State::Unknown:
            unknown << it.key();
            break;
        }
    }
    if (!own.isEmpty()) {
        walls << QStringLiteral("namespaces of its own: %1").arg(own.join(QLatin1Char(' ')));
        summary << QStringLiteral("namespaces (%1)").arg(own.join(QLatin1Char(' ')));
    }
    if (!shared.isEmpty())
        walls << QStringLiteral("namespaces shared with the host: %1").arg(shared.join(QLatin1Char(' ')));
    if (!unknown.isEmpty())
        walls << QStringLiteral("namespaces not verified: %1").arg(unknown.join(QLatin1Char(' ')));
    walls << QStringLiteral("cgroup v%1 (%2): its CPU, memory and process limits")
                 .arg(parts.value(QStringLiteral("cgroupVersion")).toString(),
                      parts.value(QStringLiteral("cgroupPath")).toString());
    summary << QStringLiteral("cgroups");
    if (parts.contains(QStringLiteral("seccompMode"))) {
        const int mode = parts.value(QStringLiteral("seccompMode")).toInt();
        walls << (mode == 2       ? QStringLiteral("seccomp filter on its system calls")
                      : mode == 1 ? QStringLiteral("seccomp strict mode")
                                  : QStringLiteral("no seccomp filter"));
        if (mode > 0)
            summary << QStringLiteral("seccomp");
    }
    if (parts.contains(QStringLiteral("capEff"))) {
        const int caps = bitsSet(parts.value(QStringLiteral("capEff")).toString());
        walls << QStringLiteral("%1 capabilities (CapEff %2)")
                     .arg(caps)
                     .arg(parts.value(QStringLiteral("capEff")).toString());
        summary << QStringLiteral("%1 capabilities").arg(caps);
    }
    if (parts.value(QStringLiteral("noNewPrivs")).toBool())
        walls << QStringLiteral("no_new_privs");
    walls << QStringLiteral("the host's kernel, shared");
    return walls;
}

QStringList vmWalls(const QVariantMap &parts, QStringList &summary)
{
    const QString accelerator = parts.value(QStringLiteral("accelerator")).toString();
    const bool kvm = accelerator == QLatin1String("kvm");
    QStringList walls {QStringLiteral("a hypervisor: QEMU, through libvirt (machine %1)")
                           .arg(parts.value(QStringLiteral("machine")).toString())};
    walls << (kvm ? QStringLiteral("KVM: the CPU's hardware virtualization keeps the guest apart")
                  : QStringLiteral("TCG: QEMU emulates the CPU (no KVM here), the guest never runs on the host's "
                                   "CPU directly"));
    walls << QStringLiteral("its own kernel: the guest's system calls never reach the host's");
    summary << QStringLiteral("hypervisor (QEMU)") << (kvm ? QStringLiteral("KVM") : QStringLiteral("TCG"))
            << QStringLiteral("its own kernel");
    return walls;
}

} // namespace

qint64 allocatedBytes(const QString &path)
{
    struct stat top {
    };
    if (::lstat(QFile::encodeName(path).constData(), &top) != 0)
        return -1;
    qint64 total = static_cast<qint64>(top.st_blocks) * 512;
    if (!S_ISDIR(top.st_mode))
        return total;
    QSet<QPair<quint64, quint64>> seen;
    QDirIterator it(path, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        struct stat entry {
        };
        if (::lstat(QFile::encodeName(it.next()).constData(), &entry) != 0)
            continue;
        if (entry.st_nlink > 1 && !S_ISDIR(entry.st_mode)) {
            const QPair<quint64, quint64> key {entry.st_dev, entry.st_ino};
            if (seen.contains(key))
                continue;
            seen.insert(key);
        }
        total += static_cast<qint64>(entry.st_blocks) * 512;
    }
    return total;
}

QVariantMap measured(const QString &kind, const QVariantMap &parts, const QVariantMap &firstOutput,
                     const QString &stateDir)
{
    QVariantMap out;
    QVariantMap unknown;
    const bool container = kind == QLatin1String("container");
    const bool running = parts.value(QStringLiteral("state")).toString() == QLatin1String("running")
        || parts.value(QStringLiteral("state")).toString() == QLatin1String("paused");

    if (firstOutput.contains(QStringLiteral("firstOutputMs"))) {
        out.insert(QStringLiteral("firstOutputMs"), firstOutput.value(QStringLiteral("firstOutputMs")));
        for (const char *key : {"firstOutputFrom", "firstOutputBeganAtMs", "firstOutputAtMs"})
            out.insert(QLatin1String(key), firstOutput.value(QLatin1String(key)));
        out.insert(QStringLiteral("firstOutputSource"),
                   container ? QStringLiteral("from the helper starting it to the first line in its log")
                             : QStringLiteral("from the helper starting it to the first line on its serial console "
                                              "after the init's \"program starts\""));
    } else {
        unknown.insert(QStringLiteral("firstOutputMs"), firstOutput.value(QStringLiteral("firstOutputUnknown")));
    }

    const qint64 pid = parts.value(QStringLiteral("pid")).toLongLong();
    if (container) {
        if (running && parts.contains(QStringLiteral("memoryUsage"))) {
            out.insert(QStringLiteral("hostMemoryBytes"), parts.value(QStringLiteral("memoryUsage")));
            out.insert(QStringLiteral("hostMemorySource"),
                       QStringLiteral("its cgroup v%1 memory usage less inactive file cache (as the charts)")
                           .arg(parts.value(QStringLiteral("cgroupVersion")).toString()));
        } else {
            unknown.insert(QStringLiteral("hostMemoryBytes"),
                           running ? QStringLiteral("its cgroup's memory usage could not be read")
                                   : QStringLiteral("it is not running"));
        }
    } else if (const qint64 rss = pid > 0 ? residentBytes(pid) : -1; rss >= 0) {
        out.insert(QStringLiteral("hostMemoryBytes"), rss);
        out.insert(QStringLiteral("hostMemorySource"),
                   QStringLiteral("QEMU's resident set (VmRSS of /proc/%1/status)").arg(pid));
    } else {
        unknown.insert(QStringLiteral("hostMemoryBytes"),
                       pid > 0 ? QStringLiteral("/proc/%1/status could not be read").arg(pid)
                               : QStringLiteral("it is not running (no QEMU process)"));
    }

    if (container) {
        const QString upper = parts.value(QStringLiteral("rootfsUpper")).toString();
        if (const qint64 own = allocatedBytes(upper); own >= 0) {
            out.insert(QStringLiteral("diskOwnBytes"), own);
            out.insert(QStringLiteral("diskOwnSource"), QStringLiteral("its writable upper dir %1").arg(upper));
        } else {
            unknown.insert(QStringLiteral("diskOwnBytes"), QStringLiteral("%1 could not be read").arg(upper));
        }
        qint64 shared = 0;
        const QStringList layers = parts.value(QStringLiteral("rootfsLower")).toStringList();
        for (const QString &layer : layers) {
            const qint64 bytes = allocatedBytes(layer);
            shared = shared < 0 || bytes < 0 ? -1 : shared + bytes;
        }
        if (shared >= 0 && !layers.isEmpty()) {
            out.insert(QStringLiteral("diskSharedBytes"), shared);
            out.insert(
                QStringLiteral("diskSharedSource"),
                QStringLiteral("the image's %1 unpacked layers, shared with every container of it").arg(layers.size()));
        } else {
            unknown.insert(QStringLiteral("diskSharedBytes"), QStringLiteral("its image layers could not be read"));
        }
    } else {
        qint64 own = 0;
        QStringList files;
        for (const QVariant &disk : parts.value(QStringLiteral("disks")).toList()) {
            const QString source = disk.toMap().value(QStringLiteral("source")).toString();
            if (source.isEmpty())
                continue;
            const qint64 bytes = allocatedBytes(source);
            own = own < 0 || bytes < 0 ? -1 : own + bytes;
            files << source;
        }
        if (own >= 0) {
            out.insert(QStringLiteral("diskOwnBytes"), own);
            out.insert(QStringLiteral("diskOwnSource"),
                       files.isEmpty() ? QStringLiteral("it has no disk")
                                       : QStringLiteral("its disk %1").arg(files.join(QStringLiteral(", "))));
        } else {
            unknown.insert(QStringLiteral("diskOwnBytes"), QStringLiteral("its disk files could not be read"));
        }
        const QString digest = parts.value(QStringLiteral("imageDigest")).toString();
        const QString base = digest.isEmpty() ? QString() : Vms::ImageDisk::baseDiskPath(stateDir, digest);
        if (const qint64 bytes = base.isEmpty() ? -1 : allocatedBytes(base); bytes >= 0) {
            out.insert(QStringLiteral("diskSharedBytes"), bytes);
            out.insert(QStringLiteral("diskSharedSource"),
                       QStringLiteral("the image's ext4 disk %1, shared with every VM of it").arg(base));
        } else {
            unknown.insert(QStringLiteral("diskSharedBytes"),
                           base.isEmpty() ? QStringLiteral("it was not made from an image")
                                          : QStringLiteral("%1 could not be read").arg(base));
        }
    }

    const QString host = hostRelease();
    out.insert(QStringLiteral("hostKernelRelease"), host);
    out.insert(QStringLiteral("kernelShared"), container);
    if (container) {
        out.insert(QStringLiteral("kernelRelease"), host);
    } else if (const QString guest = parts.value(QStringLiteral("kernelRelease")).toString(); !guest.isEmpty()) {
        out.insert(QStringLiteral("kernelRelease"), guest);
    } else {
        unknown.insert(QStringLiteral("kernelRelease"),
                       QStringLiteral("the release of its kernel file could not be read"));
    }

    QStringList summary;
    out.insert(QStringLiteral("walls"), container ? containerWalls(parts, summary) : vmWalls(parts, summary));
    out.insert(QStringLiteral("wallsSummary"), summary.join(QStringLiteral(", ")));
    if (container && !parts.contains(QStringLiteral("namespaces")))
        unknown.insert(QStringLiteral("walls"),
                       QStringLiteral("namespaces, seccomp and capabilities are read from its "
                                      "process: it is not running"));
    if (!unknown.isEmpty())
        out.insert(QStringLiteral("unknown"), unknown);
    return out;
}

} // namespace Hamlet::CompareFacts
