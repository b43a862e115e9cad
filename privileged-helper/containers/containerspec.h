#pragma once

#include "portmapping.h"
#include "restartpolicy.h"
#include "result.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <optional>

namespace Hamlet::Containers {

// What a person asked for when creating a container: the a{sv} of CreateContainer, validated.
// Zero limits mean "not set" (no CPU or memory limit; the default pids limit).
struct ContainerSpec {
    QString name;
    QString image;
    QStringList command; // empty: the image's Cmd (after its Entrypoint)
    QStringList env; // "KEY=value", over the image's Env
    QString workdir; // empty: the image's WorkingDir, else "/"
    QString hostname; // empty: the name
    bool tty = false;
    double cpus = 0; // cores, e.g. 0.5
    quint64 memory = 0; // bytes
    quint64 pids = 0;
    // "nat" (the Hamlet network), "none" (loopback only) or "host" (the host's namespace). A spec
    // without the key means "none" here; the bus layer asks for "nat" by default.
    QString network = QStringLiteral("none");
    QList<Network::PortMapping> ports; // published ports (nat only)
    bool autostart = false;
    // "auto": a user namespace with an id range of its own (root here is an unprivileged id on
    // the host); "host": the host's user namespace (root here is root on the host), which needs
    // polkit's yes for the detail userns=host.
    QString userns = QStringLiteral("auto");
    RestartPolicy restart; // "restart": what happens when the process ends by itself
    // Not part of the a{sv}: the uid that created it, set by the helper from the bus and kept at
    // the record's top level ("ownerUid"); none for containers made before owners were recorded.
    std::optional<uint> ownerUid;

    static constexpr quint64 kMinimumMemory = 4ull * 1024 * 1024;
    static constexpr quint64 kDefaultPids = 2048;

    QString effectiveHostname() const { return hostname.isEmpty() ? name : hostname; }
    quint64 effectivePids() const { return pids == 0 ? kDefaultPids : pids; }

    // Validates the CreateContainer arguments; hostCpus bounds "cpus". Unknown keys are refused
    // so that a typo ("memroy") is not silently ignored.
    static Result<ContainerSpec> fromVariantMap(const QString &name, const QVariantMap &map, uint hostCpus);
    QVariantMap toVariantMap() const;

    // For STATE/instances/NAME.json.
    QJsonObject toJson() const;
    static ContainerSpec fromJson(const QJsonObject &json);

    friend bool operator==(const ContainerSpec &, const ContainerSpec &) = default;
};

// Why a working directory cannot be used, or "": under /proc a working directory is how
// CVE-2024-21626 reached the host (/proc/self/fd/N of a leaked fd), so none is accepted there,
// from a caller or from an image.
QString workdirProblem(const QString &workdir);

// The limits that can change while a container runs (SetLimits): each one optional.
struct ContainerLimits {
    std::optional<double> cpus;
    std::optional<quint64> memory;
    std::optional<quint64> pids;

    static Result<ContainerLimits> fromVariantMap(const QVariantMap &map, uint hostCpus);
};

} // namespace Hamlet::Containers
