#pragma once

#include "job.h"
#include "objecttree.h"

#include <QHash>
#include <QPointer>

namespace Hamlet {

// dev.hamlet.Job1 objects under /dev/hamlet/Helper1/job. A job stays on the bus for a while
// after it completed so a late reader can still see its outcome, then it is forgotten.
class JobObjects : public ObjectTree
{
    Q_OBJECT
public:
    static constexpr int KeepAfterCompletionMs = 60 * 1000;

    JobObjects(QDBusConnection bus, CallGate &gate, QObject *parent = nullptr);

    Job *create(const QString &operation, const QString &polkitAction);
    // True while a job has not completed.
    bool anyRunning() const;

protected:
    QStringList children() const override;
    bool exists(const QString &path) const override;
    QVariantMap properties(const QString &path) const override;
    QString readAction(const QString &path) const override;
    void call(const QDBusMessage &message) override;

private:
    Job *find(const QString &path) const;

    uint m_nextId = 1;
    QHash<QString, QPointer<Job>> m_jobs;
};

} // namespace Hamlet
