#pragma once

#include <QByteArray>
#include <QString>

namespace Hamlet::Vms {

// Writes a cpio archive in the "newc" format, the one the Linux kernel unpacks as an initramfs.
// Entries get fixed inode numbers, owner root and mtime 0, so the same entries always give the
// same bytes (a rebuilt initramfs is recognised as unchanged and not rewritten).
class NewcArchive
{
public:
    void addDirectory(const QString &path, uint permissions = 0755);
    void addFile(const QString &path, const QByteArray &contents, uint permissions = 0644);
    void addSymlink(const QString &path, const QString &target);
    void addCharacterDevice(const QString &path, uint major, uint minor, uint permissions = 0600);

    // The archive with its trailer; the archive is empty again afterwards.
    QByteArray finish();

private:
    void addEntry(const QString &path, uint mode, const QByteArray &contents, uint rdevMajor = 0, uint rdevMinor = 0);

    QByteArray m_bytes;
    uint m_nextInode = 1;
};

} // namespace Hamlet::Vms
