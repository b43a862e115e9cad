#pragma once

#include <QStringList>

namespace Hamlet {

// Splits a command line into words the way a shell would for simple cases: spaces separate,
// '...' and "..." group, a backslash escapes the next character. No expansion of any kind.
QStringList splitCommandLine(const QString &line);

} // namespace Hamlet
