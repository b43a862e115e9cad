#pragma once

#include "importprogress.h"

#include <QString>

#include <sys/types.h>

namespace Hamlet::Containers {

// The archive a caller handed over as an fd, read once from its current position: a pipe works
// as well as a file. Every read is counted into the progress (BytesDone) and capped, and a
// cancelled import stops at the next read.
class ImportSource
{
public:
    ImportSource(int fd, quint64 maxBytes, ImportProgress &progress)
        : m_fd(fd)
        , m_maxBytes(maxBytes)
        , m_progress(progress)
    { }

    // Bytes read (0 at the end), or -1 with error() saying why.
    ssize_t read(char *buffer, size_t size);
    QString error() const { return m_error; }
    ImportProgress &progress() { return m_progress; }

private:
    int m_fd;
    quint64 m_maxBytes;
    quint64 m_read = 0;
    ImportProgress &m_progress;
    QString m_error;
};

inline const QString kImportCancelled = QStringLiteral("The import was cancelled.");

} // namespace Hamlet::Containers
