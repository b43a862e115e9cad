#pragma once

#include <QList>
#include <QMutex>
#include <QString>

#include <atomic>

namespace Hamlet::Containers {

// How far an import (or a pull) is, written by the worker thread and read by the event loop,
// which turns it into Job1 properties. Cancel is asked through it too.
class ImportProgress
{
public:
    struct Layer {
        QString digest;
        quint64 bytesDone = 0;
        quint64 bytesTotal = 0;
        QString state; // "waiting", "downloading", "exists", "unpacking", "done"
    };
    struct Snapshot {
        quint64 bytesDone = 0;
        quint64 bytesTotal = 0;
        QList<Layer> layers;
    };

    void setBytesTotal(quint64 total)
    {
        const QMutexLocker locker(&m_mutex);
        m_snapshot.bytesTotal = total;
    }
    void addBytesDone(quint64 bytes)
    {
        const QMutexLocker locker(&m_mutex);
        m_snapshot.bytesDone += bytes;
    }
    void setLayers(const QList<Layer> &layers)
    {
        const QMutexLocker locker(&m_mutex);
        m_snapshot.layers = layers;
    }
    void setLayerState(qsizetype index, const QString &state)
    {
        const QMutexLocker locker(&m_mutex);
        if (index >= 0 && index < m_snapshot.layers.size())
            m_snapshot.layers[index].state = state;
    }
    Snapshot snapshot() const
    {
        const QMutexLocker locker(&m_mutex);
        return m_snapshot;
    }

    void cancel() { m_cancelled = true; }
    bool isCancelled() const { return m_cancelled; }

private:
    mutable QMutex m_mutex;
    Snapshot m_snapshot;
    std::atomic_bool m_cancelled = false;
};

} // namespace Hamlet::Containers
