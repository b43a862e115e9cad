// hamlet-test-busfuzz: calls every method of the contract (read from its XML files) in random
// order with random arguments of the right D-Bus types: a{sv} specs with known and unknown keys
// and values of every type, huge strings and arrays, names with every character, fds of random
// bytes. Run as the allowed test user by tst_busfuzz. Prints one line per broken promise
// ("VIOLATION ...": a reply that is not one of the contract's named errors, or no reply in 30 s)
// and a summary; exits 1 if there was any.
//   hamlet-test-busfuzz --bus ADDRESS --xml-dir DIR --seconds N [--seed S]
// Pulls only ever name 127.0.0.1 (port 9, closed): nothing leaves the machine.
#include "dbusnames.h"
#include "dbustypes.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusMetaType>
#include <QDBusObjectPath>
#include <QDBusUnixFileDescriptor>
#include <QDir>
#include <QDomDocument>
#include <QElapsedTimer>
#include <QMap>
#include <QRandomGenerator>
#include <QTemporaryFile>
#include <QTextStream>

#include <climits>
#include <numeric>
#include <unistd.h>

namespace {

const QString Service = QStringLiteral("dev.hamlet.Helper1");
const QString ManagerPath = QStringLiteral("/dev/hamlet/Helper1");

struct Method {
    QString interface;
    QString name;
    QList<QPair<QString, QString>> inputs; // (argument name, D-Bus type)
};

class Fuzzer
{
public:
    explicit Fuzzer(quint32 seed)
        : m_random(seed)
    { }

    QRandomGenerator m_random;

    int pick(int bound) { return int(m_random.bounded(bound)); }
    bool chance(int percent) { return pick(100) < percent; }

    QString anyString(int maxLength)
    {
        const int length = pick(maxLength + 1);
        QString text;
        for (int i = 0; i < length; ++i) {
            // Every character D-Bus can carry: control characters, '/', '.', non-ASCII.
            char32_t c = char32_t(1 + pick(chance(70) ? 0x7f : 0xd7ff));
            text += QString::fromUcs4(&c, 1);
        }
        return text;
    }

    QString name()
    {
        switch (pick(6)) {
        case 0:
            return QStringLiteral("fz%1").arg(pick(20)); // valid: some creations succeed
        case 1:
            return anyString(40);
        case 2:
            return QString(65536, QLatin1Char('n'));
        case 3:
            return QStringLiteral("../../etc/fz");
        case 4:
            return QString();
        default:
            return QStringLiteral("fz-%1.x_%2").arg(pick(5)).arg(anyString(3));
        }
    }

    QVariant anyValue(int depth = 0)
    {
        switch (pick(depth > 1 ? 9 : 11)) {
        case 0:
            return anyString(64);
        case 1:
            return QString(pick(2) ? (1 << 20) : 4096, QLatin1Char('x'));
        case 2:
            return int(m_random.generate());
        case 3:
            return qulonglong(chance(50) ? ULLONG_MAX : m_random.generate64());
        case 4:
            return chance(50);
        case 5:
            return chance(50) ? std::numeric_limits<double>::quiet_NaN() : -1.5;
        case 6: {
            QStringList list;
            const int size = chance(10) ? 10000 : pick(6);
            for (int i = 0; i < size; ++i)
                list << anyString(12);
            return list;
        }
        case 7:
            return QByteArray(pick(64), char(pick(256)));
        case 8:
            return uint(m_random.generate());
        case 9:
            return spec(depth + 1);
        default: {
            QVariantList list;
            for (int i = 0; i < pick(4); ++i)
                list << anyValue(depth + 1);
            return list;
        }
        }
    }

    // Known keys with sensible values now and then (so that real instances come and go), with
    // wrong-typed ones, unknown keys and nested maps the rest of the time.
    QVariantMap portMap()
    {
        const QList<QVariant> ports {0u, 80u, 18000u + uint(pick(1000)), 70000u, -1, QStringLiteral("80")};
        return {{QStringLiteral("hostPort"), ports.at(pick(int(ports.size())))},
                {QStringLiteral("guestPort"), ports.at(pick(int(ports.size())))},
                {QStringLiteral("protocol"), chance(80) ? QStringLiteral("tcp") : anyString(5)}};
    }

    QVariantMap spec(int depth = 0)
    {
        static const QStringList keys {
            QStringLiteral("command"),  QStringLiteral("image"),    QStringLiteral("memory"),
            QStringLiteral("cpus"),     QStringLiteral("pids"),     QStringLiteral("env"),
            QStringLiteral("tty"),      QStringLiteral("network"),  QStringLiteral("ports"),
            QStringLiteral("source"),   QStringLiteral("kernel"),   QStringLiteral("initrd"),
            QStringLiteral("cmdline"),  QStringLiteral("disk"),     QStringLiteral("diskSize"),
            QStringLiteral("iso"),      QStringLiteral("vcpus"),    QStringLiteral("autostart"),
            QStringLiteral("insecure"), QStringLiteral("platform"), QStringLiteral("name"),
            QStringLiteral("restart"),  QStringLiteral("user"),     QStringLiteral("workdir"),
            QStringLiteral("mounts"),   QStringLiteral("interval")};
        QVariantMap map;
        const int count = pick(6);
        for (int i = 0; i < count; ++i) {
            const QString key = chance(80) ? keys.at(pick(int(keys.size()))) : anyString(16);
            map.insert(key, chance(40) && depth == 0 ? sensible(key) : anyValue(depth));
        }
        return map;
    }

    QVariant sensible(const QString &key)
    {
        if (key == QLatin1String("command"))
            return QStringList {QStringLiteral("sleep"), QStringLiteral("600")};
        if (key == QLatin1String("memory"))
            return QVariant::fromValue(qulonglong(64) << 20);
        if (key == QLatin1String("image"))
            return QStringLiteral("busybox");
        if (key == QLatin1String("source"))
            return QStringLiteral("tiny");
        if (key == QLatin1String("network"))
            return chance(50) ? QStringLiteral("none") : QStringLiteral("nat");
        if (key == QLatin1String("cpus"))
            return 0.5;
        return anyValue();
    }

    // A spec that works, a third of the time for a create: real instances come and go.
    QVariantMap workingSpec(const Method &method)
    {
        if (method.name == QLatin1String("CreateVm"))
            return {{QStringLiteral("source"), QStringLiteral("tiny")},
                    {QStringLiteral("memory"), QVariant::fromValue(qulonglong(128) << 20)},
                    {QStringLiteral("network"), QStringLiteral("none")}};
        return {{QStringLiteral("command"), QStringList {QStringLiteral("sleep"), QStringLiteral("600")}}};
    }

    QVariant argument(const Method &method, const QString &argName, const QString &type)
    {
        if (type == QLatin1String("a{sv}") && method.name.startsWith(QLatin1String("Create")) && chance(33))
            return workingSpec(method);
        if (type == QLatin1String("s")) {
            if (method.name == QLatin1String("PullImage"))
                return QStringLiteral("127.0.0.1:9/") + (chance(50) ? QStringLiteral("fz/image:1") : anyString(30));
            if (argName == QLatin1String("format"))
                return chance(70) ? QStringList({QStringLiteral("docker-archive"), QStringLiteral("oci-archive"),
                                                 QStringLiteral("rootfs")})
                                        .at(pick(3))
                                  : anyString(10);
            return name();
        }
        if (type == QLatin1String("a{sv}"))
            return spec();
        if (type == QLatin1String("aa{sv}")) { // SetPorts: port maps, plausible or not
            Hamlet::VariantMapList ports;
            for (int i = 0; i < pick(4); ++i)
                ports << (chance(50) ? portMap() : spec());
            return QVariant::fromValue(ports);
        }
        if (type == QLatin1String("b"))
            return chance(50);
        if (type == QLatin1String("u"))
            return QList<uint> {0u, 1u, 100u, 1000u, UINT_MAX}.at(pick(5));
        if (type == QLatin1String("t"))
            return QVariant::fromValue(qulonglong(m_random.generate64()));
        if (type == QLatin1String("x"))
            return QVariant::fromValue(qlonglong(m_random.generate64()));
        if (type == QLatin1String("as")) {
            QStringList list;
            for (int i = 0; i < pick(4); ++i)
                list << anyString(20);
            return list;
        }
        if (type == QLatin1String("o"))
            return QVariant::fromValue(QDBusObjectPath(QStringLiteral("/dev/hamlet/Helper1/job/%1").arg(pick(50))));
        if (type == QLatin1String("h"))
            return QVariant::fromValue(randomFile());
        return QVariant();
    }

    QDBusUnixFileDescriptor randomFile()
    {
        QTemporaryFile file;
        file.open();
        file.write(QByteArray(pick(64 * 1024), char(pick(256))));
        file.flush();
        file.seek(0);
        return QDBusUnixFileDescriptor(file.handle()); // duplicated: the file may go
    }
};

QList<Method> readContract(const QString &dir)
{
    QList<Method> methods;
    for (const QString &file : QDir(dir).entryList({QStringLiteral("dev.hamlet.*.xml")})) {
        QFile xml(dir + QLatin1Char('/') + file);
        QDomDocument document;
        if (!xml.open(QIODevice::ReadOnly) || !document.setContent(&xml))
            continue;
        const QDomNodeList interfaces = document.elementsByTagName(QStringLiteral("interface"));
        for (int i = 0; i < interfaces.size(); ++i) {
            const QDomElement interface = interfaces.at(i).toElement();
            for (QDomElement m = interface.firstChildElement(QStringLiteral("method")); !m.isNull();
                 m = m.nextSiblingElement(QStringLiteral("method"))) {
                Method method {interface.attribute(QStringLiteral("name")), m.attribute(QStringLiteral("name")), {}};
                for (QDomElement a = m.firstChildElement(QStringLiteral("arg")); !a.isNull();
                     a = a.nextSiblingElement(QStringLiteral("arg"))) {
                    if (a.attribute(QStringLiteral("direction"), QStringLiteral("in")) == QLatin1String("in"))
                        method.inputs.append(
                            {a.attribute(QStringLiteral("name")), a.attribute(QStringLiteral("type"))});
                }
                methods.append(method);
            }
        }
    }
    return methods;
}

QStringList listedInstances(QDBusConnection &bus)
{
    const QDBusMessage reply = bus.call(QDBusMessage::createMethodCall(
        Service, ManagerPath, QStringLiteral("dev.hamlet.Manager1"), QStringLiteral("ListInstances")));
    QStringList names;
    if (reply.type() != QDBusMessage::ReplyMessage || reply.arguments().isEmpty())
        return names;
    const QDBusArgument list = reply.arguments().constFirst().value<QDBusArgument>();
    list.beginArray();
    while (!list.atEnd()) {
        QString name, kind, state;
        QDBusObjectPath path;
        list.beginStructure();
        list >> name >> kind >> state >> path;
        list.endStructure();
        names << name;
    }
    list.endArray();
    return names;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    Hamlet::registerDBusTypes(); // aa{sv} arguments (SetPorts)
    QCommandLineParser parser;
    const QCommandLineOption busOption(QStringLiteral("bus"), QStringLiteral("Bus address."),
                                       QStringLiteral("address"));
    const QCommandLineOption xmlOption(QStringLiteral("xml-dir"), QStringLiteral("Contract XML dir."),
                                       QStringLiteral("dir"));
    const QCommandLineOption secondsOption(QStringLiteral("seconds"), QStringLiteral("How long."), QStringLiteral("n"));
    const QCommandLineOption seedOption(QStringLiteral("seed"), QStringLiteral("Random seed."), QStringLiteral("n"));
    parser.addOptions({busOption, xmlOption, secondsOption, seedOption});
    parser.process(app);
    QTextStream out(stdout);
    const QList<Method> methods = readContract(parser.value(xmlOption));
    QDBusConnection bus = QDBusConnection::connectToBus(parser.value(busOption), QStringLiteral("fuzz"));
    if (methods.isEmpty() || !bus.isConnected()) {
        out << "VIOLATION setup: no contract methods or no bus\n";
        return 1;
    }
    const quint32 seed
        = parser.isSet(seedOption) ? parser.value(seedOption).toUInt() : QRandomGenerator::system()->generate();
    out << "seed " << seed << " (replay with --seed), " << methods.size() << " methods\n";
    Fuzzer fuzz(seed);
    QMap<QString, int> outcomes;
    QStringList made; // instances the fuzzer created and has not deleted
    int calls = 0;
    int violations = 0;
    QElapsedTimer elapsed;
    elapsed.start();
    while (elapsed.elapsed() < parser.value(secondsOption).toLongLong() * 1000) {
        if (++calls % 20 == 1)
            made = listedInstances(bus); // a create's job may have failed since
        const Method *method = &methods.at(fuzz.pick(int(methods.size())));
        // At most six instances of its own at once (each VM costs QEMU): then a delete instead.
        if (method->name.startsWith(QLatin1String("Create")) && made.size() >= 6)
            method = &*std::find_if(methods.cbegin(), methods.cend(),
                                    [](const Method &m) { return m.name == QLatin1String("Delete"); });
        QString path = ManagerPath;
        QString instance;
        if (method->interface.endsWith(QLatin1String("Instance1"))) {
            // Mostly instances the fuzzer made, sometimes a name that never exists.
            instance = !made.isEmpty() && (fuzz.chance(85) || method->name == QLatin1String("Delete"))
                ? made.at(fuzz.pick(int(made.size())))
                : QStringLiteral("nobody.");
            path = Hamlet::Bus::instancePath(instance);
        } else if (method->interface.endsWith(QLatin1String("Job1"))) {
            path = QStringLiteral("/dev/hamlet/Helper1/job/%1").arg(fuzz.pick(200));
        }
        QDBusMessage call = QDBusMessage::createMethodCall(Service, path, method->interface, method->name);
        QVariantList arguments;
        for (const auto &[argName, type] : method->inputs)
            arguments << fuzz.argument(*method, argName, type);
        call.setArguments(arguments);
        // A graceful VM stop may wait 30 s for the guest before it destroys it: a hang is longer.
        const QDBusMessage reply = bus.call(call, QDBus::Block, 90000);
        if (reply.type() == QDBusMessage::ReplyMessage) {
            const QString created = arguments.value(0).toString();
            if (method->name.startsWith(QLatin1String("Create")) && !made.contains(created))
                made << created;
            if (method->name == QLatin1String("Delete"))
                made.removeAll(instance);
        }
        QString outcome = reply.type() == QDBusMessage::ErrorMessage ? reply.errorName() : QStringLiteral("ok");
        const bool named = outcome == QLatin1String("ok") || outcome.startsWith(QLatin1String("dev.hamlet.Error."));
        // An instance or job that does not exist has no object: the bus library says so.
        // (The manager always exists: an unknown method there means the contract and the helper
        // disagree on a signature.)
        const bool noObject = path != ManagerPath
            && (outcome == QLatin1String("org.freedesktop.DBus.Error.UnknownObject")
                || outcome == QLatin1String("org.freedesktop.DBus.Error.UnknownMethod"));
        if (!named && !noObject) {
            ++violations;
            out << "VIOLATION " << method->interface << '.' << method->name << " on " << path << ": " << outcome << ": "
                << reply.errorMessage().left(300) << '\n';
            out.flush();
            if (outcome == QLatin1String("org.freedesktop.DBus.Error.NoReply")
                || outcome == QLatin1String("org.freedesktop.DBus.Error.ServiceUnknown"))
                break; // hung or gone: nothing more to learn
        }
        ++outcomes[method->name + QLatin1Char(' ') + outcome];
    }
    for (auto it = outcomes.cbegin(); it != outcomes.cend(); ++it)
        out << "  " << it.value() << "\t" << it.key() << '\n';
    out << "calls " << std::accumulate(outcomes.cbegin(), outcomes.cend(), 0) << ", violations " << violations << '\n';
    return violations == 0 ? 0 : 1;
}
