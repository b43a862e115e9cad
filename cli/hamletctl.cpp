#include "hamletctl.h"

#include "comparecommand.h"
#include "dbustypes.h"
#include "execcommand.h"
#include "helperclient.h"
#include "historycommand.h"
#include "imagecommands.h"
#include "namespacefacts.h"
#include "units.h"

#include <QDBusArgument>
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

// "8080:80,5353:53/udp,127.0.0.1:8443:443" -> the aa{sv} of the spec key "ports".
std::optional<Hamlet::VariantMapList> parsePorts(const QString &text, QString *problem)
{
    Hamlet::VariantMapList ports;
    for (const QString &item : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        QString mapping = item;
        QString protocol = QStringLiteral("tcp");
        if (mapping.contains(QLatin1Char('/'))) {
            protocol = mapping.section(QLatin1Char('/'), 1);
            mapping = mapping.section(QLatin1Char('/'), 0, 0);
        }
        QStringList parts = mapping.split(QLatin1Char(':'));
        QString address;
        if (parts.size() == 3)
            address = parts.takeFirst();
        bool hostOk = false;
        bool guestOk = false;
        const uint host = parts.value(0).toUInt(&hostOk);
        const uint guest = parts.size() == 2 ? parts.value(1).toUInt(&guestOk) : host;
        if (parts.size() == 1)
            guestOk = hostOk;
        if (parts.size() > 2 || !hostOk || !guestOk) {
            *problem = QStringLiteral("'%1' is not a port mapping: write HOSTPORT:GUESTPORT[/udp]").arg(item);
            return std::nullopt;
        }
        QVariantMap port {{QStringLiteral("hostPort"), host},
                          {QStringLiteral("guestPort"), guest},
                          {QStringLiteral("protocol"), protocol}};
        if (!address.isEmpty())
            port.insert(QStringLiteral("hostAddress"), address);
        ports << port;
    }
    return ports;
}

QString show(const QVariant &value)
{
    if (value.metaType() == QMetaType::fromType<QDBusArgument>()
        && value.value<QDBusArgument>().currentSignature() == QLatin1String("aa{sv}")) {
        Hamlet::VariantMapList maps;
        value.value<QDBusArgument>() >> maps;
        QStringList ports;
        for (const QVariantMap &port : std::as_const(maps))
            ports << QStringLiteral("%1:%2/%3")
                         .arg(port.value(QStringLiteral("hostPort")).toString(),
                              port.value(QStringLiteral("guestPort")).toString(),
                              port.value(QStringLiteral("protocol")).toString());
        return ports.join(QLatin1Char(','));
    }
    if (value.typeId() == QMetaType::QStringList)
        return value.toStringList().join(QLatin1Char(' '));
    return value.toString();
}

bool nested(const QVariant &value)
{
    return value.typeId() == QMetaType::QVariantMap || value.typeId() == QMetaType::QVariantList;
}

// Every level of what the helper sent, indented: a map's keys under it, a list's items as "- ".
// Namespace verdicts get their sentence first, so "user: shared with the host — root in this
// container is root on the host" is read before the inodes behind it.
// idMap: Inspect's, said after an isolated user namespace ("root here is uid 1,065,536 on the host").
void printValue(const QString &key, const QVariant &value, int depth, bool namespaceVerdict = false,
                const QVariantMap &idMap = {})
{
    const QString indent(depth * 2, QLatin1Char(' '));
    if (namespaceVerdict) {
        out() << indent << NamespaceFacts::sentence(key, value.toMap(), idMap) << Qt::endl;
    } else if (!nested(value)) {
        out() << indent << key << ": " << show(value) << Qt::endl;
        return;
    } else {
        out() << indent << key << ':' << Qt::endl;
    }
    if (value.typeId() == QMetaType::QVariantList) {
        for (const QVariant &item : value.toList()) {
            if (nested(item))
                printValue(QStringLiteral("-"), item, depth + 1);
            else
                out() << indent << "  - " << show(item) << Qt::endl;
        }
        return;
    }
    const QVariantMap map = value.toMap();
    const bool verdicts = key == QLatin1String("namespaces") && depth == 0;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        printValue(it.key(), it.value(), depth + 1, verdicts, idMap);
}

void printMap(const QVariantMap &map)
{
    const QVariantMap idMap = plainDBusValue(map.value(QStringLiteral("idMap"))).toMap();
    for (auto it = map.cbegin(); it != map.cend(); ++it) {
        if (it.key() == QLatin1String("idMap"))
            out() << "idMap: " << NamespaceFacts::idMapMeans(idMap) << Qt::endl;
        else
            printValue(it.key(), plainDBusValue(it.value()), 0, false, idMap);
    }
}

// key=value words before "--" become the spec; words after it the command.
std::optional<QVariantMap> parseSpec(const QStringList &words, QString *problem)
{
    QVariantMap spec;
    const qsizetype separator = words.indexOf(QStringLiteral("--"));
    const QStringList options = separator < 0 ? words : words.mid(0, separator);
    if (separator >= 0)
        spec.insert(QStringLiteral("command"), words.mid(separator + 1));
    static const QStringList sizes {QStringLiteral("memory"), QStringLiteral("diskSize"), QStringLiteral("pids")};
    for (const QString &option : options) {
        const QString key = option.section(QLatin1Char('='), 0, 0);
        const QString value = option.section(QLatin1Char('='), 1);
        if (!option.contains(QLatin1Char('='))) {
            *problem = QStringLiteral("'%1' is not key=value").arg(option);
            return std::nullopt;
        }
        if (sizes.contains(key)) {
            const auto bytes = parseSize(value);
            if (!bytes) {
                *problem = QStringLiteral("'%1' is not a size").arg(value);
                return std::nullopt;
            }
            spec.insert(key, QVariant::fromValue(*bytes));
        } else if (key == QLatin1String("cpus")) {
            spec.insert(key, value.toDouble());
        } else if (key == QLatin1String("vcpus")) {
            spec.insert(key, value.toUInt());
        } else if (key == QLatin1String("tty") || key == QLatin1String("autostart")) {
            spec.insert(key, value == QLatin1String("true") || value == QLatin1String("1"));
        } else if (key == QLatin1String("ports")) {
            const auto ports = parsePorts(value, problem);
            if (!ports)
                return std::nullopt;
            spec.insert(key, QVariant::fromValue(*ports));
        } else if (key == QLatin1String("env")) {
            spec.insert(key, spec.value(key).toStringList() << value);
        } else {
            spec.insert(key, value);
        }
    }
    return spec;
}
} // namespace

QString usage()
{
    return QStringLiteral(
        "capabilities | list | create-container NAME [key=value...] [-- COMMAND...] | "
        "create-vm NAME [key=value...] [-- COMMAND...] | start|stop|kill|pause|resume|restart|delete NAME | "
        "set-ports NAME [PORTS] | inspect NAME | show NAME | exec NAME [-- COMMAND...] | images | "
        "pull REF [key=value...] | "
        "import FILE|- docker-archive|oci-archive|rootfs [name=N] [command='CMD ARGS'] [env=K=V] "
        "[workdir=DIR] | rmi NAME | history NAME [--from T] [--to T] [--format csv|json] | "
        "compare A B [--markdown]");
}

QCoro::Task<> run(QString busAddress, QStringList arguments, int *exitCode)
{
    HelperClient client(busAddress);
    const QString verb = arguments.value(0);
    const QString name = arguments.value(1);
    static const QHash<QString, QString> simpleVerbs {
        {QStringLiteral("start"), QStringLiteral("Start")},   {QStringLiteral("pause"), QStringLiteral("Pause")},
        {QStringLiteral("resume"), QStringLiteral("Resume")}, {QStringLiteral("restart"), QStringLiteral("Restart")},
        {QStringLiteral("delete"), QStringLiteral("Delete")},
    };
    if (verb == QLatin1String("capabilities")) {
        const auto result = co_await client.capabilities();
        if (const auto *error = std::get_if<ClientError>(&result)) {
            *exitCode = report(*error);
            co_return;
        }
        printMap(std::get<Capabilities>(result).toVariantMap());
    } else if (verb == QLatin1String("list")) {
        const auto result = co_await client.listInstances();
        if (const auto *error = std::get_if<ClientError>(&result)) {
            *exitCode = report(*error);
            co_return;
        }
        for (const InstanceSummary &instance : std::get<InstanceSummaryList>(result))
            out() << instance.name << '\t' << instance.kind << '\t' << instance.state << Qt::endl;
    } else if ((verb == QLatin1String("create-container") || verb == QLatin1String("create-vm")) && !name.isEmpty()) {
        QString problem;
        const auto spec = parseSpec(arguments.mid(2), &problem);
        if (!spec) {
            err() << problem << Qt::endl;
            *exitCode = 2;
            co_return;
        }
        auto creating
            = verb == QLatin1String("create-vm") ? client.createVm(name, *spec) : client.createContainer(name, *spec);
        const auto job = co_await std::move(creating);
        if (const auto *error = std::get_if<ClientError>(&job)) {
            *exitCode = report(*error);
            co_return;
        }
        const auto done = co_await client.waitForJob(std::get<QString>(job));
        if (const auto *error = std::get_if<ClientError>(&done)) {
            *exitCode = report(*error);
            co_return;
        }
        out() << std::get<QString>(done) << Qt::endl;
    } else if ((verb == QLatin1String("stop") || verb == QLatin1String("kill")) && !name.isEmpty()) {
        const auto result = co_await client.stop(name, verb == QLatin1String("kill"));
        if (const auto *error = std::get_if<ClientError>(&result))
            *exitCode = report(*error);
    } else if (simpleVerbs.contains(verb) && !name.isEmpty()) {
        const auto result = co_await client.instanceCall(name, simpleVerbs.value(verb));
        if (const auto *error = std::get_if<ClientError>(&result))
            *exitCode = report(*error);
    } else if ((verb == QLatin1String("inspect") || verb == QLatin1String("show")) && !name.isEmpty()) {
        auto reading = verb == QLatin1String("inspect") ? client.inspect(name) : client.instanceProperties(name);
        const auto result = co_await std::move(reading);
        if (const auto *error = std::get_if<ClientError>(&result)) {
            *exitCode = report(*error);
            co_return;
        }
        printMap(std::get<QVariantMap>(result));
    } else if (verb == QLatin1String("set-ports") && !name.isEmpty()) {
        // "set-ports web1 8080:80,5353:53/udp"; "set-ports web1" (nothing after) publishes none.
        QString problem;
        const auto ports = parsePorts(arguments.value(2), &problem);
        if (!ports) {
            err() << problem << Qt::endl;
            *exitCode = 2;
            co_return;
        }
        const auto result = co_await client.setPorts(name, *ports);
        if (const auto *error = std::get_if<ClientError>(&result))
            *exitCode = report(*error);
    } else if (verb == QLatin1String("exec") && !name.isEmpty()) {
        // After NAME: nothing (a shell) or "-- COMMAND...".
        const QStringList rest = arguments.mid(2);
        const QStringList command = rest.value(0) == QLatin1String("--") ? rest.mid(1) : rest;
        *exitCode = co_await execCommand(client, name, command, err());
    } else if (verb == QLatin1String("images")) {
        *exitCode = co_await Images::list(client, out(), err());
    } else if (verb == QLatin1String("pull") && !name.isEmpty()) {
        const QStringList rest = arguments.mid(1); // named: GCC 12 and temporaries in co_await
        *exitCode = co_await Images::pull(client, rest, out(), err());
    } else if (verb == QLatin1String("import") && arguments.size() >= 3) {
        const QStringList rest = arguments.mid(1);
        *exitCode = co_await Images::importFile(client, rest, out(), err());
    } else if (verb == QLatin1String("history") && !name.isEmpty()) {
        const QStringList rest = arguments.mid(1); // named: GCC 12 and temporaries in co_await
        *exitCode = co_await History::run(client, rest, out(), err());
    } else if (verb == QLatin1String("compare") && !name.isEmpty()) {
        const QStringList rest = arguments.mid(1); // named: GCC 12 and temporaries in co_await
        *exitCode = co_await compareCommand(client, rest, out(), err());
    } else if (verb == QLatin1String("rmi") && !name.isEmpty()) {
        *exitCode = co_await Images::remove(client, name, err());
    } else {
        err() << "usage: hamletctl [--bus ADDRESS] " << usage() << Qt::endl;
        *exitCode = 2;
    }
}

} // namespace Hamlet::Ctl
