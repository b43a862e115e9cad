#pragma once

#include <QString>

// D-Bus error names of the contract. Every error a caller sees is one of these, with a message
// written for a person: what went wrong, with which thing, and what to do.
namespace Hamlet::Error {
inline const QString NotAuthorized = QStringLiteral("dev.hamlet.Error.NotAuthorized");
inline const QString InvalidArgument = QStringLiteral("dev.hamlet.Error.InvalidArgument");
inline const QString NotFound = QStringLiteral("dev.hamlet.Error.NotFound");
inline const QString Exists = QStringLiteral("dev.hamlet.Error.Exists");
inline const QString Busy = QStringLiteral("dev.hamlet.Error.Busy");
inline const QString Unsupported = QStringLiteral("dev.hamlet.Error.Unsupported");
inline const QString Failed = QStringLiteral("dev.hamlet.Error.Failed");
} // namespace Hamlet::Error

namespace Hamlet {
// An error on its way to a D-Bus reply: a name from Hamlet::Error and a message.
struct ErrorReply {
    QString name;
    QString message;
};
} // namespace Hamlet
