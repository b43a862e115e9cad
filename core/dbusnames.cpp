#include "dbusnames.h"

namespace Hamlet::Bus {

QString instancePath(const QString &name)
{
    QString escaped;
    const QByteArray utf8 = name.toUtf8();
    for (const char c : utf8) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9'))
            escaped += QLatin1Char(c);
        else
            escaped += QStringLiteral("_%1").arg(byte, 2, 16, QLatin1Char('0'));
    }
    return InstancePathPrefix + (escaped.isEmpty() ? QStringLiteral("_") : escaped);
}

QString instanceNameFromPath(const QString &path)
{
    if (!path.startsWith(InstancePathPrefix))
        return {};
    const QString escaped = path.mid(InstancePathPrefix.size());
    QByteArray utf8;
    for (qsizetype i = 0; i < escaped.size(); ++i) {
        if (escaped[i] == QLatin1Char('_') && i + 2 < escaped.size()) {
            utf8 += static_cast<char>(escaped.mid(i + 1, 2).toUInt(nullptr, 16));
            i += 2;
        } else if (escaped[i] == QLatin1Char('_')) {
            return {};
        } else {
            utf8 += escaped[i].toLatin1();
        }
    }
    return QString::fromUtf8(utf8);
}

} // namespace Hamlet::Bus
