#include "freespace.h"

#include <QDir>
#include <QFile>
#include <QLocale>

#include <sys/statvfs.h>

namespace Hamlet::Containers {

namespace {
QString bytes(quint64 value)
{
    return QLocale::c().formattedDataSize(static_cast<qint64>(value), 1, QLocale::DataSizeTraditionalFormat);
}
} // namespace

QString notEnoughSpace(const QString &dir, quint64 needed)
{
    QString existing = QDir::cleanPath(dir);
    while (!QFile::exists(existing) && existing != QLatin1String("/"))
        existing = QDir::cleanPath(existing + QStringLiteral("/.."));
    struct statvfs info {
    };
    if (::statvfs(QFile::encodeName(existing).constData(), &info) != 0)
        return {}; // unknown: the write itself will say ENOSPC if it comes to that
    const quint64 available = static_cast<quint64>(info.f_bavail) * info.f_frsize;
    if (available >= needed + kSpaceReserveBytes)
        return {};
    return QStringLiteral("not enough space on %1: %2 needed (%3 bytes, with %4 kept free for the system), %5 free")
        .arg(existing, bytes(needed + kSpaceReserveBytes))
        .arg(needed + kSpaceReserveBytes)
        .arg(bytes(kSpaceReserveBytes), bytes(available));
}

} // namespace Hamlet::Containers
