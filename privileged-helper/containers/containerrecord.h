#pragma once

#include "containerspec.h"
#include "imageconfig.h"
#include "result.h"
#include "subordinateids.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace Hamlet::Containers {

// The states of the Instance1 contract, as strings on the bus.
// Restarting: its process ended and the restart policy starts it again after a back-off.
enum class ContainerState { Creating, Running, Paused, Stopped, Failed, Restarting };
QString toString(ContainerState state);
ContainerState containerStateFromString(const QString &state);

// Everything the helper keeps about one container across restarts: STATE/instances/NAME.json.
struct ContainerRecord {
    ContainerSpec spec;
    ContainerState state = ContainerState::Creating;
    int exitCode = -1; // of the last run; 128+N when killed by signal N; -1 unknown
    QString error; // why it is "failed", for a person
    bool stoppedByUser = false; // an autostart container the person stopped stays stopped
    QDateTime createdAt;
    QDateTime startedAt;
    QDateTime finishedAt;
    // The restart policy's restarts in a row (since a person last started it), the first and the
    // last of them; none when it has not restarted.
    int restartCount = 0;
    QDateTime firstRestartAt;
    QDateTime lastRestartAt;
    QString imageDigest; // manifest digest the container was created from
    QStringList diffIds; // its layers, bottom first (keep them from garbage collection)
    QStringList lowerDirs; // overlay lowerdir, top first
    ImageConfig imageConfig; // to regenerate config.json on start (limits may have changed)
    // The host ids of its user namespace (userns "auto"): container id N is host id hostId + N.
    // None: it runs in the host's user namespace (userns "host", or made before user namespaces).
    // The range stays taken while this record exists, so it is reused only after the files of
    // the container (owned by these ids) are gone.
    std::optional<IdRange> idMap;

    QJsonObject toJson() const;
    static ContainerRecord fromJson(const QJsonObject &json);

    // temp -> fsync -> rename, so a crash leaves the old record or the new one.
    Status save(const QString &path) const;
    static Result<ContainerRecord> load(const QString &path);
};

} // namespace Hamlet::Containers
