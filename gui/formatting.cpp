#include "formatting.h"

#include <QCoreApplication>
#include <array>
#include <cmath>

namespace Hamlet::Format {

namespace {
struct Unit {
    const char *name;
    double size;
};
constexpr std::array<Unit, 5> Units {{{"B", 1.0},
                                      {"KiB", 1024.0},
                                      {"MiB", 1024.0 * 1024},
                                      {"GiB", 1024.0 * 1024 * 1024},
                                      {"TiB", 1024.0 * 1024 * 1024 * 1024}}};

const Unit &unitFor(qulonglong value)
{
    std::size_t i = 0;
    while (i + 1 < Units.size() && static_cast<double>(value) >= Units[i + 1].size)
        ++i;
    return Units[i];
}

QString number(double value)
{
    if (value >= 10 || value == std::floor(value))
        return QString::number(std::round(value), 'f', 0);
    return QString::number(value, 'f', 1);
}
} // namespace

QString bytes(qulonglong value)
{
    const Unit &unit = unitFor(value);
    return number(static_cast<double>(value) / unit.size) + QLatin1Char(' ') + QLatin1String(unit.name);
}

QString memoryOf(qulonglong used, qulonglong limit)
{
    if (limit == 0)
        return bytes(used);
    const Unit &unit = unitFor(limit);
    return number(static_cast<double>(used) / unit.size) + QLatin1Char('/')
        + number(static_cast<double>(limit) / unit.size) + QLatin1Char(' ') + QLatin1String(unit.name);
}

QString percent(double value)
{
    if (value < 9.95 && value > 0)
        return QString::number(value, 'f', 1) + QLatin1Char('%');
    return QString::number(std::round(value), 'f', 0) + QLatin1Char('%');
}

QString cores(double value)
{
    const QString shown = QString::number(value, 'g', 3);
    return value == 1.0 || value < 1.0 ? shown + QStringLiteral(" CPU") : shown + QStringLiteral(" CPUs");
}

} // namespace Hamlet::Format

namespace Hamlet::Format {

QString byteRate(double bytesPerSecond)
{
    return bytes(static_cast<qulonglong>(std::llround(std::max(0.0, bytesPerSecond)))) + QStringLiteral("/s");
}

double niceAxisTop(double value)
{
    if (value <= 0)
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (const double step : {1.0, 2.0, 5.0, 10.0})
        if (step * magnitude >= value)
            return step * magnitude;
    return 10 * magnitude;
}

QString ordinal(int value)
{
    const int lastTwo = value % 100;
    const int last = value % 10;
    const char *suffix = "th";
    if (lastTwo < 11 || lastTwo > 13)
        suffix = last == 1 ? "st" : last == 2 ? "nd" : last == 3 ? "rd" : "th";
    return QString::number(value) + QLatin1String(suffix);
}

QString restarting(int next, qint64 spanMs)
{
    const QString times = QCoreApplication::translate("Format", "restarting, %1 time").arg(ordinal(next));
    if (spanMs < 0 || next < 2)
        return times;
    // Rounded up: three restarts in 20 s read "in 1 min".
    const qint64 minutes = std::max<qint64>(1, (spanMs + 59999) / 60000);
    if (minutes < 60)
        return QCoreApplication::translate("Format", "%1 in %2 min").arg(times).arg(minutes);
    return QCoreApplication::translate("Format", "%1 in %2 h").arg(times).arg((minutes + 59) / 60);
}

QString restartedRunning(const QString &state, int restarts)
{
    if (restarts <= 0)
        return state;
    return restarts == 1 ? QCoreApplication::translate("Format", "%1, restarted once").arg(state)
                         : QCoreApplication::translate("Format", "%1, restarted %2 times").arg(state).arg(restarts);
}

} // namespace Hamlet::Format
