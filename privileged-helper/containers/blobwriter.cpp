#include "blobwriter.h"

#include "imagestore.h"

#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Hamlet::Containers {

BlobWriter::BlobWriter(ImageStore &store, quint64 maxBytes)
    : m_store(store)
    , m_maxBytes(maxBytes)
{ }

BlobWriter::~BlobWriter()
{
    if (!m_committed && !m_path.isEmpty())
        ::unlink(QFile::encodeName(m_path).constData());
}

Status BlobWriter::open()
{
    QByteArray pattern = QFile::encodeName(m_store.temporaryDir() + QStringLiteral("/blob-XXXXXX"));
    const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0)
        return failed(errnoMessage(QStringLiteral("cannot create a temporary blob in"), m_store.temporaryDir(), errno));
    m_fd.reset(fd);
    m_path = QFile::decodeName(pattern);
    return success();
}

Status BlobWriter::finish()
{
    if (m_finished)
        return success();
    if (!m_fd.valid())
        return failed(QStringLiteral("blob writer used before open()"));
    if (::fsync(m_fd.get()) != 0)
        return failed(errnoMessage(QStringLiteral("cannot sync"), m_path, errno));
    ::fchmod(m_fd.get(), 0644);
    m_fd.reset();
    m_finished = true;
    return success();
}

Status BlobWriter::write(const char *data, qint64 size)
{
    if (!m_fd.valid())
        return failed(QStringLiteral("blob writer used before open()"));
    if (m_size + static_cast<quint64>(size) > m_maxBytes)
        return failed(QStringLiteral("a blob is larger than the limit of %1 bytes: refusing it").arg(m_maxBytes));
    m_hash.addData(QByteArrayView(data, size));
    qint64 written = 0;
    while (written < size) {
        const ssize_t n = ::write(m_fd.get(), data + written, static_cast<size_t>(size - written));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return failed(errnoMessage(QStringLiteral("cannot write"), m_path, errno));
        written += n;
    }
    m_size += static_cast<quint64>(size);
    return success();
}

QString BlobWriter::digest() const
{
    return QStringLiteral("sha256:") + QString::fromLatin1(m_hash.resultView().toByteArray().toHex());
}

Result<QString> BlobWriter::commit(BlobHolds *holds, const QString &expectedDigest)
{
    if (Status finished = finish(); !finished)
        return finished.error();
    const QString actual = digest();
    if (!expectedDigest.isEmpty() && actual != expectedDigest)
        return failed(QStringLiteral("blob %1 does not match its digest (its content hashes to %2): refusing it")
                          .arg(expectedDigest, actual));
    const QString target = m_store.blobPath(actual);
    const bool existed = QFileInfo::exists(target);
    // Held before it appears, so a garbage collection running now cannot take it.
    if (holds)
        holds->hold(actual, !existed);
    if (existed)
        return actual; // content-addressed: the one there is the same; the destructor drops ours
    if (::rename(QFile::encodeName(m_path).constData(), QFile::encodeName(target).constData()) != 0)
        return failed(errnoMessage(QStringLiteral("cannot move a blob to"), target, errno));
    m_committed = true;
    return actual;
}

Result<QString> putBlobFromFd(ImageStore &store, int fd, quint64 maxBytes, BlobHolds *holds,
                              const QString &expectedDigest)
{
    BlobWriter writer(store, maxBytes);
    if (Status opened = writer.open(); !opened)
        return opened.error();
    QByteArray buffer(256 * 1024, Qt::Uninitialized);
    while (true) {
        const ssize_t n = ::read(fd, buffer.data(), static_cast<size_t>(buffer.size()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return failed(errnoMessage(QStringLiteral("cannot read"), QStringLiteral("the blob source"), errno));
        if (n == 0)
            break;
        if (Status written = writer.write(buffer.constData(), n); !written)
            return written.error();
    }
    return writer.commit(holds, expectedDigest);
}

} // namespace Hamlet::Containers
