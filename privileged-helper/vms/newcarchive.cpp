#include "newcarchive.h"

#include <sys/stat.h>

namespace Hamlet::Vms {

namespace {

void appendHex(QByteArray &out, uint value)
{
    out.append(QByteArray::number(value, 16).rightJustified(8, '0').toUpper());
}

void padToFour(QByteArray &out)
{
    while (out.size() % 4 != 0)
        out.append('\0');
}

} // namespace

void NewcArchive::addEntry(const QString &path, uint mode, const QByteArray &contents, uint rdevMajor, uint rdevMinor)
{
    const QByteArray name = path.toUtf8();
    m_bytes.append("070701");
    appendHex(m_bytes, m_nextInode++);
    appendHex(m_bytes, mode);
    appendHex(m_bytes, 0); // uid
    appendHex(m_bytes, 0); // gid
    appendHex(m_bytes, S_ISDIR(mode) ? 2 : 1); // nlink
    appendHex(m_bytes, 0); // mtime
    appendHex(m_bytes, static_cast<uint>(contents.size()));
    appendHex(m_bytes, 0); // devmajor
    appendHex(m_bytes, 0); // devminor
    appendHex(m_bytes, rdevMajor);
    appendHex(m_bytes, rdevMinor);
    appendHex(m_bytes, static_cast<uint>(name.size() + 1));
    appendHex(m_bytes, 0); // check, unused by "newc"
    m_bytes.append(name);
    m_bytes.append('\0');
    padToFour(m_bytes);
    m_bytes.append(contents);
    padToFour(m_bytes);
}

void NewcArchive::addDirectory(const QString &path, uint permissions)
{
    addEntry(path, S_IFDIR | permissions, {});
}

void NewcArchive::addFile(const QString &path, const QByteArray &contents, uint permissions)
{
    addEntry(path, S_IFREG | permissions, contents);
}

void NewcArchive::addSymlink(const QString &path, const QString &target)
{
    addEntry(path, S_IFLNK | 0777, target.toUtf8());
}

void NewcArchive::addCharacterDevice(const QString &path, uint major, uint minor, uint permissions)
{
    addEntry(path, S_IFCHR | permissions, {}, major, minor);
}

QByteArray NewcArchive::finish()
{
    // The trailer is an entry like any other, with inode 0, as GNU cpio writes it.
    m_nextInode = 0;
    addEntry(QStringLiteral("TRAILER!!!"), 0, {});
    // Kernels read initramfs in 512-byte blocks like cpio does; pad the same way.
    while (m_bytes.size() % 512 != 0)
        m_bytes.append('\0');
    m_nextInode = 1;
    return std::exchange(m_bytes, {});
}

} // namespace Hamlet::Vms
