#include "subordinateids.h"

#include "fsutil.h"

#include <QFile>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace Hamlet::Containers::SubordinateIds {

namespace {

quint64 roundUp(quint64 value)
{
    return (value + kPerContainer - 1) / kPerContainer * kPerContainer;
}

// The highest uid (field 2) or gid in a passwd or group file; (uid_t)-2 and -1 are not ids.
quint64 highestId(const QString &path)
{
    quint64 highest = 0;
    for (const QByteArray &line : readSmallFile(path).split('\n')) {
        bool ok = false;
        const quint64 id = line.split(':').value(2).toULongLong(&ok);
        if (ok && id < kIdLimit - 1)
            highest = std::max(highest, id);
    }
    return highest;
}

std::optional<IdRange> ownEntry(const QList<Entry> &entries)
{
    for (const Entry &entry : entries) {
        if (entry.owner == kOwner)
            return entry.range;
    }
    return std::nullopt;
}

// The first entry of another owner that overlaps range, as "name:start:count", or "".
QString overlapping(const QList<Entry> &entries, const IdRange &range)
{
    for (const Entry &entry : entries) {
        if (entry.owner != kOwner && entry.range.overlaps(range))
            return QStringLiteral("%1:%2:%3").arg(entry.owner).arg(entry.range.hostId).arg(entry.range.size);
    }
    return {};
}

Status append(const QString &path, const QByteArray &current, const IdRange &range)
{
    QByteArray text = current;
    if (!text.isEmpty() && !text.endsWith('\n'))
        text.append('\n');
    text.append(QStringLiteral("%1:%2:%3\n").arg(kOwner).arg(range.hostId).arg(range.size).toUtf8());
    return writeFileAtomically(path, text, 0644);
}

} // namespace

QList<Entry> parse(const QByteArray &text)
{
    QList<Entry> entries;
    for (const QByteArray &line : text.split('\n')) {
        const QList<QByteArray> fields = line.trimmed().split(':');
        if (fields.size() != 3 || fields.at(0).isEmpty() || fields.at(0).startsWith('#'))
            continue;
        bool startOk = false;
        bool countOk = false;
        const quint64 start = fields.at(1).toULongLong(&startOk);
        const quint64 count = fields.at(2).toULongLong(&countOk);
        if (startOk && countOk && count > 0)
            entries.append(Entry {QString::fromUtf8(fields.at(0)), IdRange {start, count}});
    }
    return entries;
}

std::optional<IdRange> chooseReservation(const QList<Entry> &existing, quint64 highestHostId)
{
    IdRange wanted {std::max(kDefaultBase, roundUp(highestHostId + 1)), kDefaultCount};
    for (bool moved = true; moved;) {
        moved = false;
        for (const Entry &entry : existing) {
            if (entry.range.overlaps(wanted)) {
                wanted.hostId = entry.range.end();
                moved = true;
            }
        }
    }
    if (wanted.end() <= kIdLimit - 1)
        return wanted;
    // Less than a billion left above the others: whatever whole blocks remain.
    wanted.size = (kIdLimit - 1 - std::min(wanted.hostId, kIdLimit - 1)) / kPerContainer * kPerContainer;
    if (wanted.size == 0)
        return std::nullopt;
    return wanted;
}

std::optional<IdRange> pick(const IdRange &pool, const QList<IdRange> &used)
{
    for (quint64 start = pool.hostId; start + kPerContainer <= pool.end(); start += kPerContainer) {
        const IdRange candidate {start, kPerContainer};
        const bool taken = std::any_of(used.cbegin(), used.cend(),
                                       [&candidate](const IdRange &other) { return other.overlaps(candidate); });
        if (!taken)
            return candidate;
    }
    return std::nullopt;
}

Result<IdRange> reserve(const QString &dir, const QString &passwd, const QString &group)
{
    const QString uidFile = dir + QStringLiteral("/subuid");
    const QString gidFile = dir + QStringLiteral("/subgid");
    // One writer at a time among helpers: the lock is on the directory, because the files are
    // replaced by rename (a lock on the file would stay on the old inode).
    const UniqueFd lock(::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!lock.valid() || ::flock(lock.get(), LOCK_EX) != 0)
        return failed(errnoMessage(QStringLiteral("cannot open and lock"), dir, errno));
    const QByteArray uidText = readSmallFile(uidFile);
    const QByteArray gidText = readSmallFile(gidFile);
    const QList<Entry> uids = parse(uidText);
    const QList<Entry> gids = parse(gidText);
    const std::optional<IdRange> uidOwn = ownEntry(uids);
    const std::optional<IdRange> gidOwn = ownEntry(gids);
    if (uidOwn && gidOwn && !(*uidOwn == *gidOwn))
        return failed(QStringLiteral("the \"hamlet\" entries of %1 and %2 differ: make them the same range")
                          .arg(uidFile, gidFile));

    std::optional<IdRange> range = uidOwn ? uidOwn : gidOwn;
    if (!range) {
        range = chooseReservation(uids + gids, std::max(highestId(passwd), highestId(group)));
        if (!range)
            return failed(QStringLiteral("no room is left for Hamlet's ids above the entries of %1 and %2: add a "
                                         "\"hamlet:START:COUNT\" line to both by hand")
                              .arg(uidFile, gidFile));
    }
    if (range->size < kPerContainer || range->end() > kIdLimit - 1)
        return failed(QStringLiteral("the \"hamlet\" entry of %1 is not usable (%2 ids from %3): give it at least %4 "
                                     "ids below 4294967295")
                          .arg(uidFile)
                          .arg(range->size)
                          .arg(range->hostId)
                          .arg(kPerContainer));
    for (const auto &[file, entries] : {std::pair {uidFile, uids}, std::pair {gidFile, gids}}) {
        if (const QString other = overlapping(entries, *range); !other.isEmpty())
            return failed(
                QStringLiteral("the \"hamlet\" range of %1 overlaps \"%2\": move one of them").arg(file, other));
    }
    const quint64 highestHostId = std::max(highestId(passwd), highestId(group));
    if (range->hostId <= highestHostId)
        return failed(QStringLiteral("the \"hamlet\" range of %1 starts at %2, at or below a host user or group (%3): "
                                     "move it higher")
                          .arg(uidFile)
                          .arg(range->hostId)
                          .arg(highestHostId));
    if (!uidOwn) {
        if (Status written = append(uidFile, uidText, *range); !written)
            return written.error();
    }
    if (!gidOwn) {
        if (Status written = append(gidFile, gidText, *range); !written)
            return written.error();
    }
    return *range;
}

} // namespace Hamlet::Containers::SubordinateIds
