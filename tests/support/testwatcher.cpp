// hamlet-test-watcher: listens to every signal the helper sends to this connection, as a client
// that wants to see everything would (match rules on the helper's name, no eavesdropping), and
// prints one line per signal: "PATH INTERFACE.MEMBER ARGS", maps as {key=value,...}.
//   hamlet-test-watcher --bus ADDRESS [--subscribe MS] --for MS
// --subscribe calls Manager1.Subscribe(MS) first and prints "subscribed" or the error's name.
// Run as different users by the tests to prove which signals reach whom.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDBusArgument>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusMetaType>
#include <QDBusObjectPath>
#include <QDBusVariant>
#include <QTextStream>
#include <QTimer>
#include <QVariantMap>

namespace {

QString show(const QVariant &value);

QString showArgument(const QDBusArgument &argument)
{
    if (argument.currentSignature() == QLatin1String("a{sv}"))
        return show(qdbus_cast<QVariantMap>(argument));
    if (argument.currentSignature() == QLatin1String("as"))
        return qdbus_cast<QStringList>(argument).join(QLatin1Char(','));
    return QStringLiteral("<%1>").arg(argument.currentSignature());
}

QString show(const QVariant &value)
{
    if (value.canConvert<QDBusArgument>())
        return showArgument(value.value<QDBusArgument>());
    if (value.userType() == qMetaTypeId<QDBusVariant>())
        return show(value.value<QDBusVariant>().variant());
    if (value.userType() == qMetaTypeId<QDBusObjectPath>())
        return value.value<QDBusObjectPath>().path();
    if (value.userType() == QMetaType::QVariantMap) {
        QStringList items;
        const QVariantMap map = value.toMap();
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            items << it.key() + QLatin1Char('=') + show(it.value());
        return QLatin1Char('{') + items.join(QLatin1Char(',')) + QLatin1Char('}');
    }
    if (value.userType() == QMetaType::QStringList)
        return value.toStringList().join(QLatin1Char(','));
    return value.toString();
}

class Printer : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void print(const QDBusMessage &message)
    {
        QStringList arguments;
        for (const QVariant &argument : message.arguments())
            arguments << show(argument);
        QTextStream(stdout) << message.path() << ' ' << message.interface() << '.' << message.member() << ' '
                            << arguments.join(QLatin1Char(' ')) << Qt::endl;
    }
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption bus(QStringLiteral("bus"), QStringLiteral("bus address"), QStringLiteral("address"));
    const QCommandLineOption subscribe(QStringLiteral("subscribe"), QStringLiteral("Subscribe(MS) first"),
                                       QStringLiteral("ms"));
    const QCommandLineOption duration(QStringLiteral("for"), QStringLiteral("how long to listen"),
                                      QStringLiteral("ms"));
    parser.addOptions({bus, subscribe, duration});
    parser.process(app);

    QDBusConnection connection = QDBusConnection::connectToBus(parser.value(bus), QStringLiteral("watcher"));
    QTextStream out(stdout);
    if (!connection.isConnected()) {
        out << "cannot connect: " << connection.lastError().message() << Qt::endl;
        return 2;
    }
    Printer printer;
    // Every signal the helper has (Qt needs a member or an interface per match), on any path.
    const QList<std::pair<QString, QString>> members {
        {QStringLiteral("dev.hamlet.Manager1"), QStringLiteral("InstanceAdded")},
        {QStringLiteral("dev.hamlet.Manager1"), QStringLiteral("InstanceRemoved")},
        {QStringLiteral("dev.hamlet.Manager1"), QStringLiteral("ImagesChanged")},
        {QStringLiteral("dev.hamlet.Manager1"), QStringLiteral("Samples")},
        {QStringLiteral("dev.hamlet.Job1"), QStringLiteral("Completed")},
        {QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("PropertiesChanged")},
    };
    for (const auto &[interface, member] : members) {
        if (!connection.connect(QStringLiteral("dev.hamlet.Helper1"), QString(), interface, member, &printer,
                                SLOT(print(QDBusMessage)))) {
            out << "cannot add the match rule for " << member << Qt::endl;
            return 2;
        }
    }
    if (parser.isSet(subscribe)) {
        QDBusMessage call = QDBusMessage::createMethodCall(
            QStringLiteral("dev.hamlet.Helper1"), QStringLiteral("/dev/hamlet/Helper1"),
            QStringLiteral("dev.hamlet.Manager1"), QStringLiteral("Subscribe"));
        call << parser.value(subscribe).toUInt();
        const QDBusMessage reply = connection.call(call, QDBus::Block, 30000);
        out << (reply.type() == QDBusMessage::ErrorMessage ? reply.errorName() : QStringLiteral("subscribed"))
            << Qt::endl;
    }
    out << "listening" << Qt::endl;
    QTimer::singleShot(parser.value(duration).toInt(), &app, &QCoreApplication::quit);
    return app.exec();
}

#include "testwatcher.moc"
