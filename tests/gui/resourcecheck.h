#pragma once

// What a widget test compares before and after a console or display is closed: the process's
// open file descriptors (with what they point to) and its threads, read from /proc/self.
#include <QDir>
#include <QFile>
#include <QImage>
#include <QPainter>
#include <QSet>
#include <QString>
#include <QStringList>

namespace Hamlet::Test {

inline QSet<QString> openFds()
{
    QSet<QString> fds;
    const QDir dir(QStringLiteral("/proc/self/fd"));
    for (const QString &name : dir.entryList(QDir::NoDotAndDotDot | QDir::System | QDir::Files)) {
        const QString target = QFile::symLinkTarget(dir.filePath(name));
        // The directory listing itself holds an fd while it runs; it is gone by now. An eventfd is
        // the wake-up fd of a thread's event dispatcher: Qt's global thread pool starts and retires
        // such threads on its own (image scaling), so eventfds come and go without any leak; the
        // widgets' own threads are checked by name (threads()).
        if (!target.isEmpty() && target != QLatin1String("anon_inode:[eventfd]"))
            fds.insert(name + QStringLiteral(" -> ") + target);
    }
    return fds;
}

inline QStringList threads()
{
    QStringList names;
    const QDir dir(QStringLiteral("/proc/self/task"));
    for (const QString &tid : dir.entryList(QDir::NoDotAndDotDot | QDir::Dirs)) {
        QFile comm(dir.filePath(tid + QStringLiteral("/comm")));
        names << (comm.open(QIODevice::ReadOnly) ? QString::fromUtf8(comm.readAll().trimmed()) : tid);
    }
    return names;
}

inline int threadCount()
{
    return int(threads().size());
}

// The fds open now that were not open in `before`, as readable lines for a failure message.
inline QString leakedFds(const QSet<QString> &before)
{
    QStringList leaked = (openFds() - before).values();
    leaked.sort();
    return leaked.join(QStringLiteral("; "));
}

// Qt converts and scales large images (screenshots, a scaled framebuffer) on a private pool of
// worker threads, each with an eventfd, that start on first use and stop after 30 s idle. Starting
// them all before a baseline is taken keeps them out of the fd and thread comparisons, which are
// about what the widget under test leaves behind.
inline void warmUpImageScaling()
{
    QImage source(1024, 768, QImage::Format_RGB32);
    source.fill(Qt::darkGray);
    QImage target(800, 500, QImage::Format_RGB32);
    QPainter painter(&target);
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    painter.drawImage(target.rect(), source);
}

inline QString outputPath(const QString &name)
{
    const QString dir = qEnvironmentVariable("HAMLET_TEST_OUTPUT", QDir::tempPath());
    QDir().mkpath(dir);
    return dir + QLatin1Char('/') + name;
}

} // namespace Hamlet::Test
