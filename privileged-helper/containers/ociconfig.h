#pragma once

#include "containerspec.h"
#include "imageconfig.h"
#include "result.h"
#include "subordinateids.h"

#include <QJsonObject>
#include <QStringList>

// The OCI runtime config.json of a container, built by a pure function from what the person asked
// for, what the image says and what the host is. Defaults are podman's: its capability set, masked
// and read-only /proc and /sys paths, no_new_privs, a fresh /dev, a pids limit, new namespaces and
// the default seccomp profile.
namespace Hamlet::Containers::OciConfig {

// What the config depends on that is neither the spec nor the image.
struct HostFacts {
    QString cgroupVersion; // "v1", "hybrid" or "v2", as HostProbe::cgroupVersion says
    QString cgroupsPath; // linux.cgroupsPath, e.g. "/hamlet/web1"
    quint64 nofileHardLimit = 1024; // the helper's hard RLIMIT_NOFILE: a container cannot get more
    QJsonObject seccomp; // linux.seccomp (Seccomp::load); empty: no filter
    // Networking (spec "network"): a namespace to join by path (nat), none for the host's own
    // namespace (host), or a new one of its own, loopback only (none: both empty, not host).
    QString netnsPath;
    QString hostsFile; // bind-mounted on /etc/hosts when set
    QString resolvFile; // bind-mounted on /etc/resolv.conf when set
    // Paths masked on this host in addition to maskedPaths(): the per-CPU thermal_throttle
    // directories (their counters tell what other tenants run), as podman masks them.
    QStringList hostMaskedPaths;
    // The container's user namespace (userns "auto"): container ids 0..size-1 are host ids
    // hostId... None: the host's user namespace.
    std::optional<IdRange> idMap;
    // The pinned user namespace to join (a "nat" container, whose network namespace it owns);
    // empty: the runtime makes a new one from idMap.
    QString usernsPath;

    // The facts of this host: reads getrlimit, the CPUs' sysfs directories and the translated
    // default seccomp profile.
    static Result<HostFacts> current(const QString &cgroupVersion, const QString &cgroupsPath);
};

inline constexpr quint64 kCpuPeriodUs = 100000;
inline constexpr quint64 kMaxNofile = 1048576;

// podman's default capability set (containers.conf default_capabilities), with the CAP_ prefix.
QStringList defaultCapabilities();
QStringList maskedPaths();
QStringList readonlyPaths();

// Entrypoint + (command or the image's Cmd), as docker and podman combine them.
QStringList processArgs(const ContainerSpec &spec, const ImageConfig &image);
// The image's Env, then PATH if the image has none, then the spec's env; later entries replace
// earlier ones with the same name.
QStringList processEnv(const ContainerSpec &spec, const ImageConfig &image);

// Refuses (InvalidArgument) a container that has nothing to run, and (Unsupported) an image whose
// User is a name rather than a uid[:gid].
Result<QJsonObject> build(const ContainerSpec &spec, const ImageConfig &image, const HostFacts &host);

} // namespace Hamlet::Containers::OciConfig
