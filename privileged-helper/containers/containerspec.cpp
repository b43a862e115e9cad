#include "containerspec.h"

#include "names.h"

#include <QDir>
#include <QJsonArray>
#include <QSet>

namespace Hamlet::Containers {

namespace {

const QString kImage = QStringLiteral("image");
const QString kCommand = QStringLiteral("command");
const QString kEnv = QStringLiteral("env");
const QString kWorkdir = QStringLiteral("workdir");
const QString kHostname = QStringLiteral("hostname");
const QString kTty = QStringLiteral("tty");
const QString kCpus = QStringLiteral("cpus");
const QString kMemory = QStringLiteral("memory");
const QString kPids = QStringLiteral("pids");
const QString kNetwork = QStringLiteral("network");
const QString kAutostart = QStringLiteral("autostart");
const QString kPorts = QStringLiteral("ports");
const QString kRestart = QStringLiteral("restart");
const QString kUserns = QStringLiteral("userns");

bool isNumber(const QVariant &value)
{
    switch (value.metaType().id()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Double:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::UChar:
        return true;
    default:
        return false;
    }
}

ErrorReply badType(const QString &key, const char *expected)
{
    return invalidArgument(QStringLiteral("\"%1\" must be %2").arg(key, QLatin1String(expected)));
}

Result<double> parseCpus(const QVariant &value, uint hostCpus)
{
    if (!isNumber(value))
        return badType(kCpus, "a number of cores (d)");
    const double cpus = value.toDouble();
    if (!(cpus > 0) || cpus > hostCpus)
        return invalidArgument(QStringLiteral("cpus must be above 0 and at most %1 (this host's CPU count), not %2")
                                   .arg(hostCpus)
                                   .arg(cpus));
    return cpus;
}

Result<quint64> parseMemory(const QVariant &value)
{
    if (!isNumber(value) || value.toDouble() < 0)
        return badType(kMemory, "a number of bytes (t)");
    const quint64 memory = value.toULongLong();
    if (memory < ContainerSpec::kMinimumMemory)
        return invalidArgument(QStringLiteral("memory must be at least 4 MiB (4194304 bytes), not %1").arg(memory));
    return memory;
}

Result<quint64> parsePids(const QVariant &value)
{
    if (!isNumber(value) || value.toDouble() < 1)
        return invalidArgument(QStringLiteral("pids must be a number of processes of at least 1"));
    return value.toULongLong();
}

bool isStringList(const QVariant &value)
{
    return value.metaType().id() == QMetaType::QStringList;
}

QString envProblem(const QStringList &env)
{
    for (const QString &entry : env) {
        const qsizetype equals = entry.indexOf(QLatin1Char('='));
        if (equals <= 0)
            return QStringLiteral("environment entry \"%1\" must look like NAME=value").arg(entry);
        if (entry.contains(QChar(0)))
            return QStringLiteral("environment entry \"%1\" contains a NUL character").arg(entry.left(equals));
    }
    return {};
}

QJsonArray toJsonArray(const QStringList &list)
{
    return QJsonArray::fromStringList(list);
}

QStringList toStringList(const QJsonValue &value)
{
    QStringList list;
    for (const auto &item : value.toArray())
        list << item.toString();
    return list;
}

} // namespace

Result<ContainerSpec> ContainerSpec::fromVariantMap(const QString &name, const QVariantMap &map, uint hostCpus)
{
    if (const QString problem = instanceNameProblem(name); !problem.isEmpty())
        return invalidArgument(problem);
    static const QSet<QString> known {kImage,  kCommand, kEnv,     kWorkdir,   kHostname, kTty,     kCpus,
                                      kMemory, kPids,    kNetwork, kAutostart, kPorts,    kRestart, kUserns};
    for (auto it = map.cbegin(); it != map.cend(); ++it) {
        if (!known.contains(it.key()))
            return invalidArgument(QStringLiteral("unknown container option \"%1\"").arg(it.key()));
    }

    ContainerSpec spec;
    spec.name = name;
    spec.image = map.value(kImage).toString();
    if (spec.image.isEmpty())
        return invalidArgument(QStringLiteral("an image is required (for example \"busybox\")"));
    if (map.contains(kCommand)) {
        if (!isStringList(map.value(kCommand)))
            return badType(kCommand, "a list of strings (as)");
        spec.command = map.value(kCommand).toStringList();
    }
    if (map.contains(kEnv)) {
        if (!isStringList(map.value(kEnv)))
            return badType(kEnv, "a list of NAME=value strings (as)");
        spec.env = map.value(kEnv).toStringList();
        if (const QString problem = envProblem(spec.env); !problem.isEmpty())
            return invalidArgument(problem);
    }
    spec.workdir = map.value(kWorkdir).toString();
    if (!spec.workdir.isEmpty() && !spec.workdir.startsWith(QLatin1Char('/')))
        return invalidArgument(QStringLiteral("workdir must be an absolute path, not \"%1\"").arg(spec.workdir));
    if (const QString problem = workdirProblem(spec.workdir); !problem.isEmpty())
        return invalidArgument(problem);
    spec.hostname = map.value(kHostname).toString();
    if (!spec.hostname.isEmpty() && !isValidInstanceName(spec.hostname))
        return invalidArgument(
            QStringLiteral("hostname \"%1\" is not valid: %2").arg(spec.hostname, instanceNameProblem(spec.hostname)));
    spec.tty = map.value(kTty).toBool();
    spec.autostart = map.value(kAutostart).toBool();
    if (map.contains(kRestart)) {
        if (map.value(kRestart).metaType().id() != QMetaType::QString)
            return badType(kRestart, "a string (s) such as \"on-failure:3\"");
        const Result<RestartPolicy> restart = RestartPolicy::parse(map.value(kRestart).toString());
        if (!restart)
            return restart.error();
        spec.restart = *restart;
    }

    const Result<ContainerLimits> limits = ContainerLimits::fromVariantMap(map, hostCpus);
    if (!limits)
        return limits.error();
    spec.cpus = limits->cpus.value_or(0);
    spec.memory = limits->memory.value_or(0);
    spec.pids = limits->pids.value_or(0);

    if (map.contains(kNetwork)) {
        spec.network = map.value(kNetwork).toString();
        static const QStringList modes {QStringLiteral("nat"), QStringLiteral("none"), QStringLiteral("host")};
        if (!modes.contains(spec.network))
            return invalidArgument(QStringLiteral("unknown network mode \"%1\": use \"nat\" (the Hamlet network), "
                                                  "\"none\" (loopback only) or \"host\"")
                                       .arg(spec.network));
    }
    if (map.contains(kUserns)) {
        spec.userns = map.value(kUserns).toString();
        if (spec.userns != QLatin1String("auto") && spec.userns != QLatin1String("host"))
            return invalidArgument(QStringLiteral("unknown userns \"%1\": use \"auto\" (a user namespace and id range "
                                                  "of its own) or \"host\" (root in the container is root on the host)")
                                       .arg(spec.userns));
    }
    if (map.contains(kPorts)) {
        Result<QList<Network::PortMapping>> ports = Network::parsePorts(map.value(kPorts));
        if (!ports)
            return ports.error();
        spec.ports = std::move(ports).value();
        if (!spec.ports.isEmpty() && spec.network != QLatin1String("nat"))
            return invalidArgument(QStringLiteral("ports can be published only on the \"nat\" network, not with "
                                                  "network \"%1\"")
                                       .arg(spec.network));
    }
    return spec;
}

Result<ContainerLimits> ContainerLimits::fromVariantMap(const QVariantMap &map, uint hostCpus)
{
    ContainerLimits limits;
    if (map.contains(kCpus)) {
        const Result<double> cpus = parseCpus(map.value(kCpus), hostCpus);
        if (!cpus)
            return cpus.error();
        limits.cpus = *cpus;
    }
    if (map.contains(kMemory)) {
        const Result<quint64> memory = parseMemory(map.value(kMemory));
        if (!memory)
            return memory.error();
        limits.memory = *memory;
    }
    if (map.contains(kPids)) {
        const Result<quint64> pids = parsePids(map.value(kPids));
        if (!pids)
            return pids.error();
        limits.pids = *pids;
    }
    return limits;
}

QVariantMap ContainerSpec::toVariantMap() const
{
    QVariantMap map {{kImage, image},     {kCommand, command},     {kEnv, env},
                     {kWorkdir, workdir}, {kHostname, hostname},   {kTty, tty},
                     {kCpus, cpus},       {kMemory, memory},       {kPids, effectivePids()},
                     {kNetwork, network}, {kAutostart, autostart}, {kRestart, restart.toString()},
                     {kUserns, userns}};
    QList<QVariantMap> portMaps; // aa{sv} on the bus
    for (const Network::PortMapping &port : ports)
        portMaps << port.toVariantMap();
    map.insert(kPorts, QVariant::fromValue(portMaps));
    return map;
}

QJsonObject ContainerSpec::toJson() const
{
    return QJsonObject {{QStringLiteral("name"), name},
                        {kImage, image},
                        {kCommand, toJsonArray(command)},
                        {kEnv, toJsonArray(env)},
                        {kWorkdir, workdir},
                        {kHostname, hostname},
                        {kTty, tty},
                        {kCpus, cpus},
                        // As a string: a JSON number (double) cannot hold every 64-bit value.
                        {kMemory, QString::number(memory)},
                        {kPids, QString::number(pids)},
                        {kNetwork, network},
                        {kPorts, Network::toJson(ports)},
                        {kAutostart, autostart},
                        {kRestart, restart.toString()},
                        {kUserns, userns}};
}

ContainerSpec ContainerSpec::fromJson(const QJsonObject &json)
{
    ContainerSpec spec;
    spec.name = json.value(QStringLiteral("name")).toString();
    spec.image = json.value(kImage).toString();
    spec.command = toStringList(json.value(kCommand));
    spec.env = toStringList(json.value(kEnv));
    spec.workdir = json.value(kWorkdir).toString();
    spec.hostname = json.value(kHostname).toString();
    spec.tty = json.value(kTty).toBool();
    spec.cpus = json.value(kCpus).toDouble();
    spec.memory = json.value(kMemory).toString().toULongLong();
    spec.pids = json.value(kPids).toString().toULongLong();
    spec.network = json.value(kNetwork).toString(QStringLiteral("none"));
    spec.ports = Network::portsFromJson(json.value(kPorts).toArray());
    spec.autostart = json.value(kAutostart).toBool();
    // A record of a version without user namespaces ran its container as the host's root: it
    // keeps doing so ("host") until it is deleted.
    spec.userns = json.value(kUserns).toString(QStringLiteral("host"));
    // A record of a version without policies has no key: "no", as it behaved then.
    if (const Result<RestartPolicy> restart = RestartPolicy::parse(json.value(kRestart).toString()); restart)
        spec.restart = *restart;
    return spec;
}

QString workdirProblem(const QString &workdir)
{
    const QString clean = QDir::cleanPath(workdir);
    if (clean == QLatin1String("/proc") || clean.startsWith(QLatin1String("/proc/")))
        return QStringLiteral("the working directory \"%1\" is under /proc, which containers may not start in "
                              "(CVE-2024-21626): choose a directory of the container's own filesystem")
            .arg(workdir);
    return {};
}

} // namespace Hamlet::Containers
