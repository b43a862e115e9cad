#include "names.h"

namespace Hamlet {

namespace {
constexpr qsizetype MaxNameLength = 63;

bool isNameCharacter(QChar c)
{
    return (c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
        || (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('_') || c == QLatin1Char('.')
        || c == QLatin1Char('-');
}
} // namespace

QString instanceNameProblem(const QString &name)
{
    if (name.isEmpty())
        return QStringLiteral("The name is empty: give the instance a name such as \"web1\".");
    if (name.size() > MaxNameLength)
        return QStringLiteral("The name is %1 characters long; at most %2 are allowed.")
            .arg(name.size())
            .arg(MaxNameLength);
    for (const QChar c : name) {
        if (!isNameCharacter(c)) {
            const QString shown = c.isPrint() ? QStringLiteral("'%1'").arg(c)
                                              : QStringLiteral("U+%1").arg(c.unicode(), 4, 16, QLatin1Char('0'));
            return QStringLiteral("The name contains %1; use only letters, digits, '_', '.' and '-'.").arg(shown);
        }
    }
    if (!name.front().isLetterOrNumber())
        return QStringLiteral("The name must start with a letter or a digit, not '%1'.").arg(name.front());
    return {};
}

} // namespace Hamlet
