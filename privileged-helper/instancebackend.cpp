#include "instancebackend.h"

namespace Hamlet {

QCoro::Task<Expected<ExecStarted>> InstanceBackend::exec(QString name, QStringList, QVariantMap)
{
    co_return ErrorReply {Error::Unsupported,
                          QStringLiteral("%1 is a %2: a shell can be opened in containers only; use its console.")
                              .arg(name, kind() == QLatin1String("vm") ? QStringLiteral("virtual machine") : kind())};
}

} // namespace Hamlet
