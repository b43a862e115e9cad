#pragma once

#include "dbustypes.h"
#include "expected.h"

#include <QDBusObjectPath>
#include <QObject>
#include <QSet>
#include <QString>
#include <QTimer>
#include <QVariantMap>

namespace Hamlet {

// Long work on the bus (dev.hamlet.Job1): progress while it runs, then one Completed. The job
// remembers the polkit action that started it; Cancel needs the same.
class Job : public QObject
{
    Q_OBJECT
public:
    Job(uint id, QString operation, QString polkitAction, QObject *parent = nullptr);

    uint id() const { return m_id; }
    QString path() const;
    QString operation() const { return m_operation; }
    QString polkitAction() const { return m_polkitAction; }

    void setProgress(qulonglong bytesDone, qulonglong bytesTotal);
    void setFraction(double progress); // for work not measured in bytes
    // Per-layer progress of a pull or import (Job1.Layers: digest, bytesDone, bytesTotal, state).
    void setLayers(const VariantMapList &layers);
    void complete(const Outcome &outcome, const QString &resultPath = QStringLiteral("/"));

    void cancel();
    bool isCancelled() const { return m_cancelled; }
    bool isDone() const { return m_done; }

    QVariantMap properties() const;

Q_SIGNALS:
    void propertiesChanged(const QStringList &names);
    void completed(bool ok, const QString &errorName, const QString &message, const QString &resultPath);
    void cancelRequested();

private:
    // Progress changes are announced at most every ThrottleMs; completion flushes at once.
    static constexpr int ThrottleMs = 100;
    void announce(const QStringList &names);
    void flushAnnouncements();

    uint m_id;
    QString m_operation;
    QString m_polkitAction;
    double m_progress = 0.0;
    qulonglong m_bytesDone = 0;
    qulonglong m_bytesTotal = 0;
    bool m_done = false;
    bool m_cancelled = false;
    bool m_succeeded = false;
    QString m_errorName;
    QString m_errorMessage;
    QString m_result = QStringLiteral("/");
    VariantMapList m_layers;
    QSet<QString> m_pendingNames;
    QTimer m_announceTimer;
};

} // namespace Hamlet
