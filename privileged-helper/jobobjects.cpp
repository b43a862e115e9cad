#include "jobobjects.h"

#include "dbusnames.h"

#include <QTimer>

#include <algorithm>

namespace Hamlet {

JobObjects::JobObjects(QDBusConnection bus, CallGate &gate, QObject *parent)
    : ObjectTree(std::move(bus), gate, Bus::JobPathPrefix.chopped(1), Bus::JobInterface, parent)
{ }

Job *JobObjects::create(const QString &operation, const QString &polkitAction)
{
    auto *job = new Job(m_nextId++, operation, polkitAction, this);
    const QString path = job->path();
    m_jobs.insert(path, job);
    connect(job, &Job::propertiesChanged, this,
            [this, path](const QStringList &names) { emitPropertiesChanged(path, names); });
    connect(job, &Job::completed, this,
            [this, job, path](bool ok, const QString &errorName, const QString &message, const QString &result) {
                QDBusMessage signal = QDBusMessage::createSignal(path, Bus::JobInterface, QStringLiteral("Completed"));
                signal << ok << errorName << message << QVariant::fromValue(QDBusObjectPath(result));
                m_bus.send(signal);
                QTimer::singleShot(KeepAfterCompletionMs, this, [this, job, path] {
                    m_jobs.remove(path);
                    job->deleteLater();
                });
            });
    return job;
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
