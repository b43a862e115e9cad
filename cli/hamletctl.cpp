#include "hamletctl.h"

#include "helperclient.h"

#include <QTextStream>

namespace Hamlet::Ctl {

namespace {
QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

int report(const ClientError &error)
{
    err() << error.name << ": " << error.message << Qt::endl;
    if (!error.hint.isEmpty())
        err() << error.hint << Qt::endl;
    return 1;
}
} // namespace

QString usage()
{
    return QStringLiteral("capabilities | list");
}

QCoro::Task<> run(QString busAddress, QStringList arguments, int *exitCode)
{
    HelperClient client(busAddress);
    const QString verb = arguments.value(0);
    if (verb == QStringLiteral("capabilities")) {
        const auto result = co_await client.capabilities();
        if (const auto *error = std::get_if<ClientError>(&result)) {
            *exitCode = report(*error);
            co_return;
        }
        const QVariantMap map = std::get<Capabilities>(result).toVariantMap();
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            out() << it.key() << ": " << it.value().toString() << Qt::endl;
    } else if (verb == QStringLiteral("list")) {
        const auto result = co_await client.listInstances();
        if (const auto *error = std::get_if<ClientError>(&result)) {
            *exitCode = report(*error);
            co_return;
        }
        for (const InstanceSummary &instance : std::get<InstanceSummaryList>(result))
            out() << instance.name << '\t' << instance.kind << '\t' << instance.state << Qt::endl;
    } else {
        err() << "usage: hamletctl [--bus ADDRESS] " << usage() << Qt::endl;
        *exitCode = 2;
    }
}

} // namespace Hamlet::Ctl
