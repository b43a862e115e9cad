#pragma once

#include "dbustypes.h"
#include "historystore.h"

#include <QFuture>
#include <QHash>
#include <QObject>
#include <QThread>
#include <QThreadPool>

#include <memory>

namespace Hamlet::History {

struct ReadResult {
    std::optional<Window> window; // none: the store failed (error says why)
    QString error;
};

// Turns the sampler's ticks into the history on disk: one point per instance per second (CPU as
// cores busy from two ticks' counters), kept in memory and written in one transaction every 5 s
// on a thread of its own, so a SIGKILL loses at most the last 5 s and the event loop never waits
// for the disk. Reads run on the thread pool, each with its own connection.
class Recorder : public QObject
{
    Q_OBJECT
public:
    static constexpr qint64 FlushEveryMs = 5000;

    explicit Recorder(QString path, QObject *parent = nullptr);
    ~Recorder() override; // writes what is pending and waits for the writer

    bool isOpen() const { return m_store != nullptr; }
    QString path() const { return m_path; }

    // One sampler tick: wallMs is the Unix time in ms, monotonicNs the Samples timestamp.
    void record(qint64 wallMs, qulonglong monotonicNs, const SampleBatch &batch);
    // Hands what is pending to the writer now (recording stops, the helper exits).
    void flush();
    // A deleted instance's history goes with it; at start, the history of instances gone.
    void forget(const QString &name);
    void keepOnly(const QStringList &names);

    QFuture<ReadResult> read(const QString &name, qint64 fromMs, qint64 toMs, quint32 maxPoints) const;

    // Points of one sample (public for the tests): CPU needs the previous counters.
    static Point pointOf(qint64 wallMs, const QVariantMap &values, std::optional<double> cpuCores);

private:
    struct Previous {
        qulonglong monotonicNs = 0;
        qulonglong cpuNs = 0;
    };

    QString m_path;
    std::unique_ptr<Store> m_store; // used on m_thread only, after the constructor
    QThread m_thread;
    QObject m_writer; // lives on m_thread: the context of queued writes
    // Reads of their own: on the global pool they would wait behind image unpacking and the
    // helper's start-up work.
    mutable QThreadPool m_readers;
    QHash<QString, std::vector<Point>> m_pending;
    QHash<QString, Previous> m_previous;
    std::optional<qulonglong> m_lastRecordedNs;
    qulonglong m_lastFlushNs = 0;
};

} // namespace Hamlet::History
