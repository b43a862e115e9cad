#include "jobobjects.h"

#include "dbusnames.h"

#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QTimer>

#include <algorithm>

namespace Hamlet {

JobObjects::JobObjects(QDBusConnection bus, CallGate &gate, QObject *parent)
    : ObjectTree(std::move(bus), gate, Bus::JobPathPrefix.chopped(1), Bus::JobInterface, parent)
{ }

Job *JobObjects::create(const QString &operation, const QString &polkitAction, const QString &caller)
{
    auto *job = new Job(m_nextId++, operation, polkitAction, this);
    const QString path = job->path();
    m_jobs.insert(path, job);
    m_watchers.insert(path, {caller});
    connect(job, &Job::propertiesChanged, this, [this, job, path](const QStringList &names) {
        const QVariantMap all = job->properties();
        QVariantMap changed;
        for (const QString &name : names)
            changed.insert(name, all.value(name));
        for (const QString &watcher : m_watchers.value(path))
            sendPropertiesChanged(watcher, path, changed);
    });
    connect(job, &Job::completed, this,
            [this, job, path](bool ok, const QString &errorName, const QString &message, const QString &result) {
                sendCompleted(path, ok, errorName, message, result);
                QTimer::singleShot(KeepAfterCompletionMs, this, [this, job, path] {
                    m_jobs.remove(path);
                    m_watchers.remove(path);
                    job->deleteLater();
                });
            });
    return job;
}

void JobObjects::sendCompleted(const QString &path, bool ok, const QString &errorName, const QString &message,
                               const QString &result)
{
    for (const QString &watcher : m_watchers.value(path)) {
        QDBusMessage signal
            = QDBusMessage::createTargetedSignal(watcher, path, Bus::JobInterface, QStringLiteral("Completed"));
        signal << ok << errorName << message << QVariant::fromValue(QDBusObjectPath(result));
        m_bus.send(signal);
    }
}

QCoro::Task<QVariantMap> JobObjects::propertiesFor(QString path, QDBusMessage call)
{
    // polkit allowed this caller to read the job (its own action): it may follow it too.
    if (m_watchers.contains(path))
        m_watchers[path].insert(call.service());
    co_return properties(path);
}

Job *JobObjects::find(const QString &path) const
{
    return m_jobs.value(path).data();
}

QStringList JobObjects::children() const
{
    QStringList ids;
    for (const QString &path : m_jobs.keys())
        ids << path.section(QLatin1Char('/'), -1);
    return ids;
}

bool JobObjects::exists(const QString &path) const
{
    return find(path) != nullptr;
}

QVariantMap JobObjects::properties(const QString &path) const
{
    const Job *job = find(path);
    return job ? job->properties() : QVariantMap();
}

QString JobObjects::readAction(const QString &path) const
{
    const Job *job = find(path);
    return job ? job->polkitAction() : QStringLiteral("dev.hamlet.monitor");
}

void JobObjects::call(const QDBusMessage &message)
{
    if (message.member() != QLatin1String("Cancel")) {
        m_bus.send(
            message.createErrorReply(QDBusError::UnknownMethod,
                                     QStringLiteral("%1 has no method %2.").arg(Bus::JobInterface, message.member())));
        return;
    }
    if (!expectSignature(message, {}))
        return;
    const QString path = message.path();
    m_gate.serve(message, {readAction(path), QStringLiteral("Cancel")},
                 CallGate::immediate([this](const QDBusMessage &call) {
                     if (Job *job = find(call.path()))
                         job->cancel();
                     return call.createReply();
                 }));
}

bool JobObjects::anyRunning() const
{
    return std::any_of(m_jobs.cbegin(), m_jobs.cend(), [](const QPointer<Job> &job) { return job && !job->isDone(); });
}

} // namespace Hamlet
