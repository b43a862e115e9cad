#include "comparetable.h"

#include <QStringList>

namespace Hamlet::CompareTable {

namespace {

QVariantMap measuredOf(const Side &side)
{
    return side.inspect.value(QStringLiteral("measured")).toMap();
}

QString unknownOf(const QVariantMap &measured, const QString &key)
{
    const QString why = measured.value(QStringLiteral("unknown")).toMap().value(key).toString();
    return QStringLiteral("unknown: %1").arg(why.isEmpty() ? QStringLiteral("the helper did not say") : why);
}

struct Cell {
    QString value;
    QString source;
};

Cell firstOutput(const QVariantMap &m)
{
    if (!m.contains(QStringLiteral("firstOutputMs")))
        return {unknownOf(m, QStringLiteral("firstOutputMs")), {}};
    return {QStringLiteral("%1 (from %2)")
                .arg(duration(m.value(QStringLiteral("firstOutputMs")).toDouble()),
                     m.value(QStringLiteral("firstOutputFrom")).toString()),
            m.value(QStringLiteral("firstOutputSource")).toString()};
}

Cell sized(const QVariantMap &m, const QString &key, const QString &sourceKey)
{
    if (!m.contains(key))
        return {unknownOf(m, key), {}};
    return {bytes(m.value(key).toDouble()), m.value(sourceKey).toString()};
}

Cell kernel(const QVariantMap &m)
{
    if (!m.contains(QStringLiteral("kernelRelease")))
        return {unknownOf(m, QStringLiteral("kernelRelease")), {}};
    const QString release = m.value(QStringLiteral("kernelRelease")).toString();
    if (m.value(QStringLiteral("kernelShared")).toBool())
        return {QStringLiteral("the host's, shared (%1)").arg(release), {}};
    return {
        QStringLiteral("its own (%1; host %2)").arg(release, m.value(QStringLiteral("hostKernelRelease")).toString()),
        {}};
}

QString kindLabel(const QString &kind)
{
    return kind == QLatin1String("vm") ? QStringLiteral("VM (a house)") : QStringLiteral("container (an apartment)");
}

QString sourcesText(const QList<Row> &table, const Side &a, const Side &b, const QString &bullet)
{
    QStringList lines;
    for (const Row &row : table) {
        if (!row.aSource.isEmpty())
            lines << QStringLiteral("%1%2, %3: %4").arg(bullet, row.label, a.name, row.aSource);
        if (!row.bSource.isEmpty())
            lines << QStringLiteral("%1%2, %3: %4").arg(bullet, row.label, b.name, row.bSource);
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace

QString duration(double ms)
{
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms, 0, 'f', ms < 10 ? 1 : 0);
    return QStringLiteral("%1 s").arg(ms / 1000, 0, 'f', 2);
}

QString bytes(double value)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    return unit == 0 ? QStringLiteral("%1 bytes").arg(static_cast<qint64>(value))
                     : QStringLiteral("%1 %2").arg(value, 0, 'f', value < 10 ? 2 : 1).arg(QLatin1String(units[unit]));
}

QCoro::Task<Result<Side>> readSide(HelperClient &client, QString name)
{
    const Result<QVariantMap> properties = co_await client.instanceProperties(name);
    if (const auto *error = std::get_if<ClientError>(&properties))
        co_return *error;
    const Result<QVariantMap> parts = co_await client.inspect(name);
    if (const auto *error = std::get_if<ClientError>(&parts))
        co_return *error;
    const QVariantMap &values = std::get<QVariantMap>(properties);
    co_return Side {name, values.value(QStringLiteral("Kind")).toString(),
                    values.value(QStringLiteral("State")).toString(), std::get<QVariantMap>(parts)};
}

QString wallsLine(const QVariantMap &inspect)
{
    const QVariantMap m = inspect.value(QStringLiteral("measured")).toMap();
    if (m.value(QStringLiteral("unknown")).toMap().contains(QStringLiteral("walls")))
        return unknownOf(m, QStringLiteral("walls"));
    return m.value(QStringLiteral("wallsSummary")).toString();
}

QList<Row> rows(const Side &a, const Side &b)
{
    const QVariantMap ma = measuredOf(a);
    const QVariantMap mb = measuredOf(b);
    QList<Row> table;
    table.append({QStringLiteral("Kind"), kindLabel(a.kind), kindLabel(b.kind), {}, {}});
    const QString image = QStringLiteral("image");
    table.append(
        {QStringLiteral("Image"), a.inspect.value(image).toString(), b.inspect.value(image).toString(), {}, {}});
    table.append({QStringLiteral("State"), a.state, b.state, {}, {}});
    const auto add = [&](const QString &label, const Cell &ca, const Cell &cb) {
        table.append({label, ca.value, cb.value, ca.source, cb.source});
    };
    add(QStringLiteral("Start to first output"), firstOutput(ma), firstOutput(mb));
    const QString memory = QStringLiteral("hostMemoryBytes");
    const QString memorySource = QStringLiteral("hostMemorySource");
    add(QStringLiteral("Host memory"), sized(ma, memory, memorySource), sized(mb, memory, memorySource));
    const QString own = QStringLiteral("diskOwnBytes");
    const QString ownSource = QStringLiteral("diskOwnSource");
    add(QStringLiteral("Disk, its own"), sized(ma, own, ownSource), sized(mb, own, ownSource));
    const QString shared = QStringLiteral("diskSharedBytes");
    const QString sharedSource = QStringLiteral("diskSharedSource");
    add(QStringLiteral("Disk, shared image"), sized(ma, shared, sharedSource), sized(mb, shared, sharedSource));
    add(QStringLiteral("Kernel"), kernel(ma), kernel(mb));
    add(QStringLiteral("Walls"), {wallsLine(a.inspect), {}}, {wallsLine(b.inspect), {}});
    return table;
}

QString asText(const Side &a, const Side &b)
{
    const QList<Row> table = rows(a, b);
    qsizetype labelWidth = 0;
    qsizetype aWidth = a.name.size();
    for (const Row &row : table) {
        labelWidth = std::max(labelWidth, row.label.size());
        aWidth = std::max(aWidth, row.a.size());
    }
    QString text
        = QStringLiteral("%1  %2  %3\n").arg(QString().leftJustified(labelWidth), a.name.leftJustified(aWidth), b.name);
    for (const Row &row : table)
        text += QStringLiteral("%1  %2  %3\n")
                    .arg(row.label.leftJustified(labelWidth), row.a.leftJustified(aWidth), row.b);
    const QString sources = sourcesText(table, a, b, QStringLiteral("  "));
    if (!sources.isEmpty())
        text += QStringLiteral("\nHow each figure was read:\n") + sources + QLatin1Char('\n');
    return text;
}

QString asMarkdown(const Side &a, const Side &b)
{
    const auto cell = [](QString text) { return text.replace(QLatin1Char('|'), QStringLiteral("\\|")); };
    QString text = QStringLiteral("| | %1 | %2 |\n| --- | --- | --- |\n").arg(cell(a.name), cell(b.name));
    const QList<Row> table = rows(a, b);
    for (const Row &row : table)
        text += QStringLiteral("| %1 | %2 | %3 |\n").arg(cell(row.label), cell(row.a), cell(row.b));
    const QString sources = sourcesText(table, a, b, QStringLiteral("- "));
    if (!sources.isEmpty())
        text += QStringLiteral("\nHow each figure was read:\n\n") + sources + QLatin1Char('\n');
    return text;
}

} // namespace Hamlet::CompareTable
