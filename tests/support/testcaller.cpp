// hamlet-test-caller: calls every method of a contract XML on one object of the helper, with
// harmless default arguments, and prints one line per method: "Interface.Method ERROR-NAME" (or
// "OK"). Run as different users by the tests to prove that polkit guards every method.
//   hamlet-test-caller --bus ADDRESS --object PATH --xml FILE [--method NAME] [--no-wait MS]
// --no-wait sends the call(s), stays MS milliseconds, and exits without reading any reply,
// leaving the helper with a caller that is gone.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDBusArgument>
#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QDBusUnixFileDescriptor>
#include <QDomDocument>
#include <QFile>
#include <QTextStream>
#include <QThread>
#include <QVariantMap>

#include <fcntl.h>
#include <unistd.h>

namespace {

QVariant defaultArgument(const QString &signature)
{
    if (signature == QLatin1String("s"))
        return QString();
    if (signature == QLatin1String("b"))
        return false;
    if (signature == QLatin1String("u"))
        return 1000u;
    if (signature == QLatin1String("i"))
        return 0;
    if (signature == QLatin1String("t"))
        return qulonglong(0);
    if (signature == QLatin1String("x"))
        return qlonglong(0);
    if (signature == QLatin1String("d"))
        return 0.0;
    if (signature == QLatin1String("o"))
        return QVariant::fromValue(QDBusObjectPath(QStringLiteral("/")));
    if (signature == QLatin1String("as"))
        return QStringList();
    if (signature == QLatin1String("a{sv}"))
        return QVariantMap();
    if (signature == QLatin1String("aa{sv}")) { // an empty list of maps (SetPorts)
        QDBusArgument list;
        list.beginArray(QMetaType::fromType<QVariantMap>());
        list.endArray();
        return QVariant::fromValue(list);
    }
    if (signature == QLatin1String("h")) {
        const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        QDBusUnixFileDescriptor descriptor(fd);
        ::close(fd);
        return QVariant::fromValue(descriptor);
    }
    return {};
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption bus(QStringLiteral("bus"), QStringLiteral("bus address"), QStringLiteral("address"));
    const QCommandLineOption object(QStringLiteral("object"), QStringLiteral("object path"), QStringLiteral("path"));
    const QCommandLineOption xml(QStringLiteral("xml"), QStringLiteral("contract file"), QStringLiteral("file"));
    const QCommandLineOption only(QStringLiteral("method"), QStringLiteral("only this method"), QStringLiteral("name"));
    const QCommandLineOption noWait(QStringLiteral("no-wait"), QStringLiteral("send, linger, exit"),
                                    QStringLiteral("ms"));
    parser.addOptions({bus, object, xml, only, noWait});
    parser.process(app);

    QDBusConnection connection = QDBusConnection::connectToBus(parser.value(bus), QStringLiteral("caller"));
    QTextStream out(stdout);
    if (!connection.isConnected()) {
        out << "cannot connect: " << connection.lastError().message() << Qt::endl;
        return 2;
    }
    QFile file(parser.value(xml));
    QDomDocument document;
    if (!file.open(QIODevice::ReadOnly) || !document.setContent(&file)) {
        out << "cannot read " << file.fileName() << Qt::endl;
        return 2;
    }
    const QDomElement interface = document.documentElement().firstChildElement(QStringLiteral("interface"));
    const QString interfaceName = interface.attribute(QStringLiteral("name"));
    int calls = 0;
    for (QDomElement method = interface.firstChildElement(QStringLiteral("method")); !method.isNull();
         method = method.nextSiblingElement(QStringLiteral("method"))) {
        const QString name = method.attribute(QStringLiteral("name"));
        if (parser.isSet(only) && parser.value(only) != name)
            continue;
        QDBusMessage call = QDBusMessage::createMethodCall(QStringLiteral("dev.hamlet.Helper1"), parser.value(object),
                                                           interfaceName, name);
        for (QDomElement arg = method.firstChildElement(QStringLiteral("arg")); !arg.isNull();
             arg = arg.nextSiblingElement(QStringLiteral("arg"))) {
            if (arg.attribute(QStringLiteral("direction"), QStringLiteral("in")) == QLatin1String("in"))
                call << defaultArgument(arg.attribute(QStringLiteral("type")));
        }
        ++calls;
        if (parser.isSet(noWait)) {
            connection.send(call);
            continue;
        }
        const QDBusMessage reply = connection.call(call, QDBus::Block, 30000);
        out << interfaceName << '.' << name << ' '
            << (reply.type() == QDBusMessage::ErrorMessage ? reply.errorName() : QStringLiteral("OK")) << Qt::endl;
    }
    if (parser.isSet(noWait)) {
        connection.interface()->isServiceRegistered(QStringLiteral("dev.hamlet.Helper1")); // flush: a round trip
        QThread::msleep(parser.value(noWait).toUInt());
    }
    return calls > 0 ? 0 : 3;
}
