#pragma once

#include <QString>

// The names both sides of the bus agree on. The contract itself is resources/dbus/*.xml.
namespace Hamlet::Bus {
inline const QString ServiceName = QStringLiteral("dev.hamlet.Helper1");
inline const QString ManagerPath = QStringLiteral("/dev/hamlet/Helper1");
inline const QString InstancePathPrefix = QStringLiteral("/dev/hamlet/Helper1/instance/");
inline const QString JobPathPrefix = QStringLiteral("/dev/hamlet/Helper1/job/");
inline const QString ManagerInterface = QStringLiteral("dev.hamlet.Manager1");
inline const QString InstanceInterface = QStringLiteral("dev.hamlet.Instance1");
inline const QString JobInterface = QStringLiteral("dev.hamlet.Job1");

// Object path of an instance: names are restricted (see names.h) but may hold '.', '-' which
// object paths do not allow, so every byte outside [A-Za-z0-9] is escaped as _XX like systemd.
QString instancePath(const QString &name);
QString instanceNameFromPath(const QString &path);
} // namespace Hamlet::Bus
