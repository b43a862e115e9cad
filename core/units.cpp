#include "units.h"

#include <QRegularExpression>

namespace Hamlet {

std::optional<qulonglong> parseSize(const QString &text)
{
    static const QRegularExpression pattern(
        QStringLiteral("^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([kKmMgGtT]?)(i?[bB])?\\s*$"));
    const QRegularExpressionMatch match = pattern.match(text);
    if (!match.hasMatch())
        return std::nullopt;
    const double number = match.captured(1).toDouble();
    int shift = 0;
    const QString unit = match.captured(2).toLower();
    switch (unit.isEmpty() ? '\0' : unit.front().toLatin1()) {
    case 'k':
        shift = 10;
        break;
    case 'm':
        shift = 20;
        break;
    case 'g':
        shift = 30;
        break;
    case 't':
        shift = 40;
        break;
    default:
        break;
    }
    return static_cast<qulonglong>(number * static_cast<double>(1ULL << shift) + 0.5);
}

} // namespace Hamlet
