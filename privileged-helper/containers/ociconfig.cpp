#include "ociconfig.h"

#include "seccompprofile.h"

#include <QDir>
#include <QJsonArray>

#include <cmath>
#include <sys/resource.h>

namespace Hamlet::Containers::OciConfig {

namespace {

const QString kDefaultPath = QStringLiteral("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

QJsonObject mount(const QString &destination, const QString &type, const QString &source, const QStringList &options)
{
    return QJsonObject {{QStringLiteral("destination"), destination},
                        {QStringLiteral("type"), type},
                        {QStringLiteral("source"), source},
                        {QStringLiteral("options"), QJsonArray::fromStringList(options)}};
}

// A new sysfs shows the network namespace it is mounted from, and the kernel allows it only to the
// user namespace that owns that network namespace. A container with a user namespace of its own
// that joins one owned by the host's (network "host") cannot:
// it gets the host's /sys bound read-only, recursively, as podman does for rootless containers
// in such a namespace (its files are the host root's, unmapped in the container: not writable).
QJsonObject sysMount(const ContainerSpec &spec, const HostFacts &host)
{
    const bool foreignNetns
        = (!host.netnsPath.isEmpty() && host.usernsPath.isEmpty()) || spec.network == QLatin1String("host");
    if (host.idMap && foreignNetns)
        return mount(QStringLiteral("/sys"), QStringLiteral("bind"), QStringLiteral("/sys"),
                     {QStringLiteral("rbind"), QStringLiteral("rro"), QStringLiteral("nosuid"),
                      QStringLiteral("noexec"), QStringLiteral("nodev")});
    return mount(QStringLiteral("/sys"), QStringLiteral("sysfs"), QStringLiteral("sysfs"),
                 {QStringLiteral("nosuid"), QStringLiteral("noexec"), QStringLiteral("nodev"), QStringLiteral("ro")});
}

QJsonArray mounts(const ContainerSpec &spec, const HostFacts &host)
{
    // As runc's and podman's defaults. The runtime fills the fresh /dev with the standard devices
    // (null, zero, full, random, urandom, tty, ptmx, the fd links) that the OCI spec requires.
    return QJsonArray {
        mount(QStringLiteral("/proc"), QStringLiteral("proc"), QStringLiteral("proc"),
              {QStringLiteral("nosuid"), QStringLiteral("noexec"), QStringLiteral("nodev")}),
        mount(QStringLiteral("/dev"), QStringLiteral("tmpfs"), QStringLiteral("tmpfs"),
              {QStringLiteral("nosuid"), QStringLiteral("strictatime"), QStringLiteral("mode=755"),
               QStringLiteral("size=65536k")}),
        mount(QStringLiteral("/dev/pts"), QStringLiteral("devpts"), QStringLiteral("devpts"),
              {QStringLiteral("nosuid"), QStringLiteral("noexec"), QStringLiteral("newinstance"),
               QStringLiteral("ptmxmode=0666"), QStringLiteral("mode=0620"), QStringLiteral("gid=5")}),
        mount(QStringLiteral("/dev/shm"), QStringLiteral("tmpfs"), QStringLiteral("shm"),
              {QStringLiteral("nosuid"), QStringLiteral("noexec"), QStringLiteral("nodev"), QStringLiteral("mode=1777"),
               QStringLiteral("size=65536k")}),
        mount(QStringLiteral("/dev/mqueue"), QStringLiteral("mqueue"), QStringLiteral("mqueue"),
              {QStringLiteral("nosuid"), QStringLiteral("noexec"), QStringLiteral("nodev")}),
        sysMount(spec, host),
        mount(QStringLiteral("/sys/fs/cgroup"), QStringLiteral("cgroup"), QStringLiteral("cgroup"),
              {QStringLiteral("nosuid"), QStringLiteral("noexec"), QStringLiteral("nodev"), QStringLiteral("relatime"),
               QStringLiteral("ro")}),
    };
}

QJsonArray namespaces(const ContainerSpec &spec, const HostFacts &host)
{
    QJsonArray list;
    QStringList types {QStringLiteral("pid"), QStringLiteral("ipc"), QStringLiteral("uts"), QStringLiteral("mount")};
    if (!host.netnsPath.isEmpty())
        list.append(QJsonObject {{QStringLiteral("type"), QStringLiteral("network")},
                                 {QStringLiteral("path"), host.netnsPath}});
    else if (spec.network != QLatin1String("host"))
        types.insert(1, QStringLiteral("network"));
    // A cgroup namespace on v1 would hide the container's own cgroup paths without hiding much
    // else; podman and runc only add it where it is the norm, on the unified hierarchy.
    if (host.cgroupVersion == QStringLiteral("v2"))
        types << QStringLiteral("cgroup");
    // Made (or joined) first by the runtime, so the namespaces it makes after it are owned by it.
    if (host.idMap && !host.usernsPath.isEmpty())
        list.prepend(
            QJsonObject {{QStringLiteral("type"), QStringLiteral("user")}, {QStringLiteral("path"), host.usernsPath}});
    else if (host.idMap)
        types.prepend(QStringLiteral("user"));
    for (const QString &type : types)
        list.append(QJsonObject {{QStringLiteral("type"), type}});
    return list;
}

QJsonObject resources(const ContainerSpec &spec)
{
    QJsonObject resources {
        // Device cgroup: deny everything; the runtime then allows the standard devices it creates.
        {QStringLiteral("devices"),
         QJsonArray {
             QJsonObject {{QStringLiteral("allow"), false}, {QStringLiteral("access"), QStringLiteral("rwm")}}}},
        {QStringLiteral("pids"), QJsonObject {{QStringLiteral("limit"), static_cast<qint64>(spec.effectivePids())}}},
    };
    if (spec.cpus > 0) {
        const auto quota = static_cast<qint64>(std::llround(spec.cpus * kCpuPeriodUs));
        resources.insert(
            QStringLiteral("cpu"),
            QJsonObject {{QStringLiteral("quota"), quota}, {QStringLiteral("period"), qint64(kCpuPeriodUs)}});
    }
    if (spec.memory > 0)
        resources.insert(QStringLiteral("memory"),
                         QJsonObject {{QStringLiteral("limit"), static_cast<qint64>(spec.memory)}});
    return resources;
}

QJsonObject capabilities()
{
    const QJsonArray caps = QJsonArray::fromStringList(defaultCapabilities());
    return QJsonObject {
        {QStringLiteral("bounding"), caps}, {QStringLiteral("effective"), caps}, {QStringLiteral("permitted"), caps}};
}

QString envName(const QString &entry)
{
    return entry.section(QLatin1Char('='), 0, 0);
}

Result<QJsonObject> user(const QString &imageUser)
{
    if (imageUser.isEmpty())
        return QJsonObject {{QStringLiteral("uid"), 0}, {QStringLiteral("gid"), 0}};
    bool uidOk = false;
    bool gidOk = true;
    const uint uid = imageUser.section(QLatin1Char(':'), 0, 0).toUInt(&uidOk);
    const QString gidText = imageUser.section(QLatin1Char(':'), 1, 1);
    const uint gid = gidText.isEmpty() ? 0 : gidText.toUInt(&gidOk);
    if (!uidOk || !gidOk)
        return ErrorReply {Error::Unsupported,
                           QStringLiteral("the image runs as user \"%1\": only numeric "
                                          "uid[:gid] users are supported")
                               .arg(imageUser)};
    return QJsonObject {{QStringLiteral("uid"), qint64(uid)}, {QStringLiteral("gid"), qint64(gid)}};
}

} // namespace

QStringList defaultCapabilities()
{
    return {QStringLiteral("CAP_CHOWN"),   QStringLiteral("CAP_DAC_OVERRIDE"), QStringLiteral("CAP_FOWNER"),
            QStringLiteral("CAP_FSETID"),  QStringLiteral("CAP_KILL"),         QStringLiteral("CAP_NET_BIND_SERVICE"),
            QStringLiteral("CAP_SETFCAP"), QStringLiteral("CAP_SETGID"),       QStringLiteral("CAP_SETPCAP"),
            QStringLiteral("CAP_SETUID"),  QStringLiteral("CAP_SYS_CHROOT")};
}

QStringList maskedPaths()
{
    return {QStringLiteral("/proc/acpi"), QStringLiteral("/proc/kcore"), QStringLiteral("/proc/keys"),
            QStringLiteral("/proc/latency_stats"), QStringLiteral("/proc/timer_list"),
            QStringLiteral("/proc/timer_stats"), QStringLiteral("/proc/sched_debug"), QStringLiteral("/proc/scsi"),
            QStringLiteral("/sys/firmware"), QStringLiteral("/sys/fs/selinux"), QStringLiteral("/sys/dev/block"),
            // As podman: RAPL energy counters leak what other processes compute (CVE-2020-8694 class
            // of side channels), and the interrupt counts what the host's devices do.
            QStringLiteral("/sys/devices/virtual/powercap"), QStringLiteral("/proc/interrupts")};
}

QStringList readonlyPaths()
{
    return {QStringLiteral("/proc/asound"), QStringLiteral("/proc/bus"), QStringLiteral("/proc/fs"),
            QStringLiteral("/proc/irq"),    QStringLiteral("/proc/sys"), QStringLiteral("/proc/sysrq-trigger")};
}

QStringList processArgs(const ContainerSpec &spec, const ImageConfig &image)
{
    return image.entrypoint + (spec.command.isEmpty() ? image.cmd : spec.command);
}

QStringList processEnv(const ContainerSpec &spec, const ImageConfig &image)
{
    QStringList env;
    auto set = [&env](const QString &entry) {
        const QString name = envName(entry);
        env.removeIf([&name](const QString &existing) { return envName(existing) == name; });
        env << entry;
    };
    for (const QString &entry : image.env)
        set(entry);
    if (std::none_of(env.cbegin(), env.cend(), [](const QString &e) { return envName(e) == QStringLiteral("PATH"); }))
        set(kDefaultPath);
    set(QStringLiteral("HOSTNAME=") + spec.effectiveHostname());
    set(QStringLiteral("container=hamlet"));
    if (spec.tty)
        set(QStringLiteral("TERM=xterm"));
    for (const QString &entry : spec.env)
        set(entry);
    return env;
}

Result<QJsonObject> build(const ContainerSpec &spec, const ImageConfig &image, const HostFacts &host)
{
    const QStringList args = processArgs(spec, image);
    if (args.isEmpty())
        return invalidArgument(QStringLiteral("image \"%1\" has no default command: give a command").arg(spec.image));
    const Result<QJsonObject> processUser = user(image.user);
    if (!processUser)
        return processUser.error();

    const quint64 nofile = std::min(kMaxNofile, host.nofileHardLimit);
    const QString cwd = !spec.workdir.isEmpty() ? spec.workdir
        : !image.workingDir.isEmpty()           ? image.workingDir
                                                : QStringLiteral("/");
    if (const QString problem = workdirProblem(cwd); !problem.isEmpty())
        return invalidArgument(problem); // an image's WorkingDir, checked like a caller's
    const QJsonObject process {
        {QStringLiteral("terminal"), spec.tty},
        {QStringLiteral("user"), *processUser},
        {QStringLiteral("args"), QJsonArray::fromStringList(args)},
        {QStringLiteral("env"), QJsonArray::fromStringList(processEnv(spec, image))},
        {QStringLiteral("cwd"), cwd},
        {QStringLiteral("capabilities"), capabilities()},
        {QStringLiteral("rlimits"),
         QJsonArray {QJsonObject {{QStringLiteral("type"), QStringLiteral("RLIMIT_NOFILE")},
                                  {QStringLiteral("hard"), static_cast<qint64>(nofile)},
                                  {QStringLiteral("soft"), static_cast<qint64>(nofile)}}}},
        {QStringLiteral("noNewPrivileges"), true},
        // The helper runs with OOMScoreAdjust=-500 (its unit) so the OOM killer spares it; its
        // containers must not inherit that and be spared in its place.
        {QStringLiteral("oomScoreAdj"), 0},
    };

    QJsonArray allMounts = mounts(spec, host);
    const QStringList bindOptions {QStringLiteral("bind"), QStringLiteral("rprivate"), QStringLiteral("nosuid"),
                                   QStringLiteral("noexec"), QStringLiteral("nodev")};
    if (!host.hostsFile.isEmpty())
        allMounts.append(mount(QStringLiteral("/etc/hosts"), QStringLiteral("bind"), host.hostsFile, bindOptions));
    if (!host.resolvFile.isEmpty())
        allMounts.append(
            mount(QStringLiteral("/etc/resolv.conf"), QStringLiteral("bind"), host.resolvFile, bindOptions));

    QJsonObject linux {
        {QStringLiteral("namespaces"), namespaces(spec, host)},
        {QStringLiteral("resources"), resources(spec)},
        {QStringLiteral("cgroupsPath"), host.cgroupsPath},
        {QStringLiteral("maskedPaths"), QJsonArray::fromStringList(maskedPaths() + host.hostMaskedPaths)},
        {QStringLiteral("readonlyPaths"), QJsonArray::fromStringList(readonlyPaths())},
    };
    if (!host.seccomp.isEmpty())
        linux.insert(QStringLiteral("seccomp"), host.seccomp);
    if (host.idMap) {
        const QJsonArray map {QJsonObject {{QStringLiteral("containerID"), 0},
                                           {QStringLiteral("hostID"), qint64(host.idMap->hostId)},
                                           {QStringLiteral("size"), qint64(host.idMap->size)}}};
        linux.insert(QStringLiteral("uidMappings"), map);
        linux.insert(QStringLiteral("gidMappings"), map);
    }

    return QJsonObject {
        {QStringLiteral("ociVersion"), QStringLiteral("1.0.2")},
        {QStringLiteral("process"), process},
        {QStringLiteral("root"),
         QJsonObject {{QStringLiteral("path"), QStringLiteral("rootfs")}, {QStringLiteral("readonly"), false}}},
        {QStringLiteral("hostname"), spec.effectiveHostname()},
        {QStringLiteral("mounts"), allMounts},
        {QStringLiteral("linux"), linux},
        {QStringLiteral("annotations"),
         QJsonObject {{QStringLiteral("dev.hamlet.name"), spec.name},
                      {QStringLiteral("dev.hamlet.image"), spec.image}}},
    };
}

Result<HostFacts> HostFacts::current(const QString &cgroupVersion, const QString &cgroupsPath)
{
    HostFacts facts;
    facts.cgroupVersion = cgroupVersion;
    facts.cgroupsPath = cgroupsPath;
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0)
        facts.nofileHardLimit = limit.rlim_max == RLIM_INFINITY ? kMaxNofile : limit.rlim_max;
    const QDir cpus(QStringLiteral("/sys/devices/system/cpu"));
    for (const QString &cpu : cpus.entryList({QStringLiteral("cpu[0-9]*")}, QDir::Dirs)) {
        const QString throttle = cpus.filePath(cpu + QStringLiteral("/thermal_throttle"));
        if (QFileInfo::exists(throttle))
            facts.hostMaskedPaths << throttle;
    }
    const Result<QJsonObject> seccomp = Seccomp::load(defaultCapabilities());
    if (!seccomp)
        return seccomp.error();
    facts.seccomp = *seccomp;
    return facts;
}

} // namespace Hamlet::Containers::OciConfig
