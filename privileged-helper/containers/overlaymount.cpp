#include "overlaymount.h"

#include "fsutil.h"

#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <sys/mount.h>
#include <unistd.h>

namespace Hamlet::Containers::OverlayMount {

namespace {

// mountinfo escapes space, tab, newline and backslash as octal.
QString unescapeMountinfo(const QByteArray &field)
{
    QByteArray out;
    for (qsizetype i = 0; i < field.size(); ++i) {
        if (field.at(i) == '\\' && i + 3 < field.size()) {
            bool ok = false;
            const int value = field.mid(i + 1, 3).toInt(&ok, 8);
            if (ok) {
                out.append(static_cast<char>(value));
                i += 3;
                continue;
            }
        }
        out.append(field.at(i));
    }
    return QFile::decodeName(out);
}

// The mountinfo line of the mount at path, or empty.
QList<QByteArray> mountinfoLine(const QString &path)
{
    const QString canonical = QFileInfo(path).canonicalFilePath();
    if (canonical.isEmpty())
        return {};
    QList<QByteArray> found;
    for (const QByteArray &line : readSmallFile(QStringLiteral("/proc/self/mountinfo")).split('\n')) {
        const QList<QByteArray> fields = line.split(' ');
        // Later lines are mounted on top of earlier ones: the last match is what path shows.
        if (fields.size() > 4 && unescapeMountinfo(fields.at(4)) == canonical)
            found = fields;
    }
    return found;
}

bool hasSeparators(const QString &path)
{
    return path.contains(QLatin1Char(',')) || path.contains(QLatin1Char(':'));
}

} // namespace

Status mount(const QStringList &lowerTopFirst, const QString &upper, const QString &work, const QString &target)
{
    if (lowerTopFirst.isEmpty())
        return failed(QStringLiteral("an overlay needs at least one layer"));
    for (const QString &dir : lowerTopFirst + QStringList {upper, work}) {
        // overlayfs splits its options on ',' and lowerdir on ':'.
        if (hasSeparators(dir))
            return failed(QStringLiteral("cannot use %1 in an overlay: it contains ',' or ':'").arg(dir));
    }
    const QByteArray options = QFile::encodeName(
        QStringLiteral("lowerdir=%1,upperdir=%2,workdir=%3").arg(lowerTopFirst.join(QLatin1Char(':')), upper, work));
    if (options.size() >= 4096)
        return failed(
            QStringLiteral("the image has too many layers for one overlay mount (%1)").arg(lowerTopFirst.size()));
    // nodev and nosuid: device nodes and setuid files from an image (or written by a container)
    // must never work through the host's view of the rootfs (no_new_privs covers the inside).
    if (::mount("overlay", QFile::encodeName(target).constData(), "overlay", MS_NODEV | MS_NOSUID, options.constData())
        != 0)
        return failed(errnoMessage(QStringLiteral("cannot mount the container's overlay rootfs on"), target, errno));
    return success();
}

Status unmount(const QString &target)
{
    if (!isMountPoint(target))
        return success();
    if (::umount2(QFile::encodeName(target).constData(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
        return failed(errnoMessage(QStringLiteral("cannot unmount"), target, errno));
    return success();
}

bool isMountPoint(const QString &path)
{
    return !mountinfoLine(path).isEmpty();
}

QString mountOptions(const QString &target)
{
    const QList<QByteArray> fields = mountinfoLine(target);
    // ... mount-point options [optional fields] - fstype source super-options
    const qsizetype separator = fields.indexOf("-");
    if (separator < 0 || separator + 3 >= fields.size())
        return {};
    return unescapeMountinfo(fields.at(separator + 3));
}

} // namespace Hamlet::Containers::OverlayMount
