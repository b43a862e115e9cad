#pragma once

#include "result.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

// The default seccomp profile, translated from the containers/moby format that Debian ships
// (golang-github-containers-common: /usr/share/containers/seccomp.json) into the OCI runtime form
// ("linux.seccomp") for this machine. Not hand-written: the profile's own includes/excludes by
// capability and architecture decide which rules apply, as podman and docker decide them.
namespace Hamlet::Containers::Seccomp {

inline const QString kDefaultProfilePath = QStringLiteral("/usr/share/containers/seccomp.json");

// arch is a Go architecture name as the profile uses it ("amd64" on x86_64); kernelRelease is
// uname's release, for "minKernel" rules. Pure.
QJsonObject translate(const QJsonObject &profile, const QStringList &capabilities, const QString &arch,
                      const QString &kernelRelease);

// The profile at path, translated for this machine and the given capabilities. Read and
// translated once per (path, capabilities) and then served from memory: every container create
// needs it and the file is ~30 KiB of JSON.
Result<QJsonObject> load(const QStringList &capabilities, const QString &path = kDefaultProfilePath);

// The Go architecture name of this build ("amd64", "arm64", ...).
QString nativeArch();

} // namespace Hamlet::Containers::Seccomp
