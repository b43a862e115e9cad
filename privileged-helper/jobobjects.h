#pragma once

#include "job.h"
#include "objecttree.h"

#include <QHash>
#include <QPointer>
#include <QSet>

namespace Hamlet {

// dev.hamlet.Job1 objects under /dev/hamlet/Helper1/job. A job stays on the bus for a while
// after it completed so a late reader can still see its outcome, then it is forgotten. Its
// signals (PropertiesChanged, Completed) go only to the caller that started it and to callers
// that polkit let read it (a Get/GetAll makes a watcher): never broadcast.
class JobObjects : public ObjectTree
{
    Q_OBJECT
public:
    static constexpr int KeepAfterCompletionMs = 60 * 1000;

    JobObjects(QDBusConnection bus, CallGate &gate, QObject *parent = nullptr);

    // caller: the unique bus name that asked for the work.
    Job *create(const QString &operation, const QString &polkitAction, const QString &caller);
    // True while a job has not completed.
    bool anyRunning() const;

protected:
    QStringList children() const override;
    bool exists(const QString &path) const override;
    QVariantMap properties(const QString &path) const override;
    QString readAction(const QString &path) const override;
    void call(const QDBusMessage &message) override;
    QCoro::Task<QVariantMap> propertiesFor(QString path, QDBusMessage call) override;

private:
    Job *find(const QString &path) const;
    void sendCompleted(const QString &path, bool ok, const QString &errorName, const QString &message,
                       const QString &result);

    uint m_nextId = 1;
    QHash<QString, QPointer<Job>> m_jobs;
    QHash<QString, QSet<QString>> m_watchers; // job path -> bus names its signals go to
};

} // namespace Hamlet
