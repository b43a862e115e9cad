#include "historycommand.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <cmath>

namespace Hamlet::Ctl::History {

namespace {
// The columns always written, in order; the pressure ones only where the host measured them.
const QStringList FixedColumns {QStringLiteral("cpu"),           QStringLiteral("memory"),
                                QStringLiteral("memoryLimit"),   QStringLiteral("pids"),
                                QStringLiteral("diskReadBytes"), QStringLiteral("diskWriteBytes"),
                                QStringLiteral("netRxBytes"),    QStringLiteral("netTxBytes")};
const QStringList PressureColumns {QStringLiteral("cpuPressure"), QStringLiteral("memoryPressure"),
                                   QStringLiteral("ioPressure")};

QStringList columnsOf(const HistoryData &history)
{
    QStringList columns = FixedColumns;
    for (const QString &pressure : PressureColumns)
        if (history.find(pressure))
            columns << pressure;
    return columns;
}

// The point's value (a bucket's mean), or nothing when not measured.
std::optional<double> valueAt(const HistoryData &history, const QString &column, qsizetype index)
{
    const HistorySeries *series = history.find(column);
    if (!series || index >= series->mean.size() || std::isnan(series->mean.at(index)))
        return std::nullopt;
    return series->mean.at(index);
}

QString seconds(qlonglong ns)
{
    const qlonglong ms = ns / 1'000'000;
    return QStringLiteral("%1.%2").arg(ms / 1000).arg(ms % 1000, 3, 10, QLatin1Char('0'));
}

QString number(double value)
{
    return QString::number(value, 'g', 15);
}
} // namespace

std::optional<qint64> parseTime(const QString &text, qint64 nowNs)
{
    if (text == QLatin1String("now"))
        return nowNs;
    static const QRegularExpression relative(QStringLiteral("^-(\\d+(?:\\.\\d+)?)(s|sec|m|min|h|d|w)$"));
    if (const QRegularExpressionMatch match = relative.match(text); match.hasMatch()) {
        static const QHash<QString, double> unitSeconds {{QStringLiteral("s"), 1},     {QStringLiteral("sec"), 1},
                                                         {QStringLiteral("m"), 60},    {QStringLiteral("min"), 60},
                                                         {QStringLiteral("h"), 3600},  {QStringLiteral("d"), 86400},
                                                         {QStringLiteral("w"), 604800}};
        const double back = match.captured(1).toDouble() * unitSeconds.value(match.captured(2));
        return nowNs - static_cast<qint64>(back * 1e9);
    }
    const QDateTime time = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!time.isValid())
        return std::nullopt;
    return time.toMSecsSinceEpoch() * 1'000'000;
}

QString toCsv(const HistoryData &history)
{
    const QStringList columns = columnsOf(history);
    QString csv = QStringLiteral("time,") + columns.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (qsizetype i = 0; i < history.timesNs.size(); ++i) {
        QStringList row {seconds(history.timesNs.at(i))};
        for (const QString &column : columns) {
            const std::optional<double> value = valueAt(history, column, i);
            row << (value ? number(*value) : QString());
        }
        csv += row.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return csv;
}

QString toJson(const HistoryData &history)
{
    const QStringList columns = columnsOf(history);
    QJsonArray rows;
    for (qsizetype i = 0; i < history.timesNs.size(); ++i) {
        QJsonObject row {{QStringLiteral("time"), double(history.timesNs.at(i) / 1'000'000) / 1000.0}};
        for (const QString &column : columns) {
            const std::optional<double> value = valueAt(history, column, i);
            row.insert(column, value ? QJsonValue(*value) : QJsonValue(QJsonValue::Null));
        }
        rows.append(row);
    }
    return QString::fromUtf8(QJsonDocument(rows).toJson(QJsonDocument::Indented));
}

QCoro::Task<int> run(HelperClient &client, QStringList arguments, QTextStream &out, QTextStream &err)
{
    const QString name = arguments.value(0);
    const qint64 nowNs = QDateTime::currentMSecsSinceEpoch() * 1'000'000;
    QString from = QStringLiteral("-1h");
    QString to = QStringLiteral("now");
    QString format = QStringLiteral("csv");
    for (qsizetype i = 1; i < arguments.size(); i += 2) {
        const QString option = arguments.at(i);
        if (i + 1 >= arguments.size()) {
            err << "hamletctl history: " << option << " needs a value" << Qt::endl;
            co_return 2;
        }
        if (option == QLatin1String("--from")) {
            from = arguments.at(i + 1);
        } else if (option == QLatin1String("--to")) {
            to = arguments.at(i + 1);
        } else if (option == QLatin1String("--format")) {
            format = arguments.at(i + 1);
        } else {
            err << "hamletctl history: unknown option '" << option << "' (use --from, --to, --format)" << Qt::endl;
            co_return 2;
        }
    }
    const std::optional<qint64> fromNs = parseTime(from, nowNs);
    const std::optional<qint64> toNs = parseTime(to, nowNs);
    if (!fromNs || !toNs) {
        err << "hamletctl history: '" << (fromNs ? to : from)
            << "' is not a time: write now, -90s, -2min, -1h, -7d or an ISO 8601 time (2026-12-06T17:00:00Z)"
            << Qt::endl;
        co_return 2;
    }
    if (format != QLatin1String("csv") && format != QLatin1String("json")) {
        err << "hamletctl history: unknown format '" << format << "' (use csv or json)" << Qt::endl;
        co_return 2;
    }
    const auto result = co_await client.history(name, *fromNs, *toNs, 0);
    if (const auto *error = std::get_if<ClientError>(&result)) {
        err << error->name << ": " << error->message << Qt::endl;
        co_return 1;
    }
    const HistoryData &history = std::get<HistoryData>(result);
    out << (format == QLatin1String("csv") ? toCsv(history) : toJson(history));
    out.flush();
    co_return 0;
}

} // namespace Hamlet::Ctl::History
