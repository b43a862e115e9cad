#include "imagecommands.h"

#include <QDBusArgument>
#include <QDateTime>
#include <QFile>
#include <QProcess>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace Hamlet::Ctl::Images {

namespace {

int report(QTextStream &err, const ClientError &error)
{
    err << error.name << ": " << error.message << Qt::endl;
    if (!error.hint.isEmpty())
        err << error.hint << Qt::endl;
    return 1;
}

QString formatBytes(qulonglong bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = double(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    return unit == 0 ? QStringLiteral("%1 B").arg(bytes)
                     : QStringLiteral("%1 %2").arg(value, 0, 'f', 1).arg(QLatin1String(units[unit]));
}

QString shortDigest(const QString &digest)
{
    return digest.section(QLatin1Char(':'), 1).left(12);
}

// Job1.Layers arrives as a D-Bus array of a{sv}, possibly still marshalled.
VariantMapList layersOf(const QVariant &value)
{
    if (value.canConvert<VariantMapList>())
        return value.value<VariantMapList>();
    VariantMapList layers;
    if (value.canConvert<QDBusArgument>())
        value.value<QDBusArgument>() >> layers;
    return layers;
}

// Prints the job's progress as it changes, then its outcome: 0 when it succeeded.
QCoro::Task<int> follow(HelperClient &client, QString jobPath, QTextStream &out, QTextStream &err)
{
    int lastPercent = -1;
    QHash<QString, QString> layerStates;
    const QMetaObject::Connection watching = QObject::connect(
        &client, &HelperClient::jobChanged, &client, [&](const QString &path, const QVariantMap &changed) {
            if (path != jobPath)
                return;
            if (changed.contains(QStringLiteral("Layers"))) {
                for (const QVariantMap &layer : layersOf(changed.value(QStringLiteral("Layers")))) {
                    const QString digest = shortDigest(layer.value(QStringLiteral("digest")).toString());
                    const QString state
                        = QStringLiteral("%1 %2/%3")
                              .arg(layer.value(QStringLiteral("state")).toString(),
                                   formatBytes(layer.value(QStringLiteral("bytesDone")).toULongLong()),
                                   formatBytes(layer.value(QStringLiteral("bytesTotal")).toULongLong()));
                    if (layerStates.value(digest) != state) {
                        layerStates.insert(digest, state);
                        out << "layer " << digest << ": " << state << Qt::endl;
                    }
                }
            }
            if (changed.contains(QStringLiteral("Progress"))) {
                const int percent = qRound(changed.value(QStringLiteral("Progress")).toDouble() * 100);
                if (percent / 10 != lastPercent / 10 || percent == 100) {
                    lastPercent = percent;
                    out << "progress: " << percent << "%" << Qt::endl;
                }
            }
        });
    const auto done = co_await client.waitForJob(jobPath);
    QObject::disconnect(watching);
    if (const auto *error = std::get_if<ClientError>(&done))
        co_return report(err, *error);
    out << "done" << Qt::endl;
    co_return 0;
}

bool isKeyValue(const QString &word)
{
    return word.indexOf(QLatin1Char('=')) > 0;
}

} // namespace

QCoro::Task<int> list(HelperClient &client, QTextStream &out, QTextStream &err)
{
    const auto result = co_await client.listImages();
    if (const auto *error = std::get_if<ClientError>(&result))
        co_return report(err, *error);
    out << "NAME\tDIGEST\tSIZE\tLAYERS\tSOURCE\tCREATED\tUSED BY" << Qt::endl;
    for (const QVariantMap &image : std::get<VariantMapList>(result)) {
        const qint64 created = image.value(QStringLiteral("created")).toLongLong();
        out << image.value(QStringLiteral("name")).toString() << '\t'
            << shortDigest(image.value(QStringLiteral("digest")).toString()) << '\t'
            << formatBytes(image.value(QStringLiteral("size")).toULongLong()) << '\t'
            << image.value(QStringLiteral("layers")).toUInt() << '\t'
            << image.value(QStringLiteral("source")).toString() << '\t'
            << (created > 0 ? QDateTime::fromSecsSinceEpoch(created, Qt::UTC).toString(Qt::ISODate)
                            : QStringLiteral("-"))
            << '\t' << image.value(QStringLiteral("usedBy")).toStringList().join(QLatin1Char(',')) << Qt::endl;
    }
    co_return 0;
}

QCoro::Task<int> pull(HelperClient &client, QStringList arguments, QTextStream &out, QTextStream &err)
{
    const QString reference = arguments.value(0);
    QVariantMap options;
    for (const QString &word : arguments.mid(1)) {
        if (!isKeyValue(word)) {
            err << "'" << word << "' is not key=value" << Qt::endl;
            co_return 2;
        }
        const QString key = word.section(QLatin1Char('='), 0, 0);
        const QString value = word.section(QLatin1Char('='), 1);
        if (key == QLatin1String("insecure"))
            options.insert(key, value == QLatin1String("true") || value == QLatin1String("1"));
        else
            options.insert(key, value);
    }
    const auto job = co_await client.pullImage(reference, options);
    if (const auto *error = std::get_if<ClientError>(&job))
        co_return report(err, *error);
    const QString jobPath = std::get<QString>(job); // named: GCC 12 and temporaries in co_await
    const int code = co_await follow(client, jobPath, out, err);
    co_return code;
}

QCoro::Task<int> importFile(HelperClient &client, QStringList arguments, QTextStream &out, QTextStream &err)
{
    const QString file = arguments.value(0);
    const QString format = arguments.value(1);
    QVariantMap options;
    for (const QString &word : arguments.mid(2)) {
        if (!isKeyValue(word)) {
            err << "'" << word << "' is not key=value" << Qt::endl;
            co_return 2;
        }
        const QString key = word.section(QLatin1Char('='), 0, 0);
        const QString value = word.section(QLatin1Char('='), 1);
        if (key == QLatin1String("command"))
            options.insert(key, QProcess::splitCommand(value));
        else if (key == QLatin1String("env"))
            options.insert(key, options.value(key).toStringList() << value);
        else
            options.insert(key, value);
    }
    // Opened here, as the user: the helper only ever reads the descriptor it is handed.
    const int fd = file == QLatin1String("-") ? ::dup(STDIN_FILENO)
                                              : ::open(QFile::encodeName(file).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err << "cannot open " << file << ": " << QString::fromLocal8Bit(std::strerror(errno)) << Qt::endl;
        co_return 1;
    }
    auto starting = client.importImage(fd, format, options);
    const auto job = co_await std::move(starting);
    ::close(fd);
    if (const auto *error = std::get_if<ClientError>(&job))
        co_return report(err, *error);
    const QString jobPath = std::get<QString>(job); // named: GCC 12 and temporaries in co_await
    const int code = co_await follow(client, jobPath, out, err);
    co_return code;
}

QCoro::Task<int> remove(HelperClient &client, QString name, QTextStream &err)
{
    const auto result = co_await client.removeImage(name);
    if (const auto *error = std::get_if<ClientError>(&result))
        co_return report(err, *error);
    co_return 0;
}

} // namespace Hamlet::Ctl::Images
