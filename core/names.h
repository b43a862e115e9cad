#pragma once

#include <QString>

namespace Hamlet {

// Instance names become directory names, cgroup names, hostnames and libvirt domain names, so
// they follow the strictest of those: 1..63 characters of [A-Za-z0-9_.-], starting with a
// letter or digit, and not "." or "..". Returns "" when valid, else why not (for a person).
QString instanceNameProblem(const QString &name);

inline bool isValidInstanceName(const QString &name)
{
    return instanceNameProblem(name).isEmpty();
}

} // namespace Hamlet
