#include "job.h"

#include "dbusnames.h"

namespace Hamlet {

Job::Job(uint id, QString operation, QString polkitAction, QObject *parent)
    : QObject(parent)
    , m_id(id)
    , m_operation(std::move(operation))
    , m_polkitAction(std::move(polkitAction))
{ }

QString Job::path() const
{
    return Bus::JobPathPrefix + QString::number(m_id);
}

void Job::setProgress(qulonglong bytesDone, qulonglong bytesTotal)
{
    m_bytesDone = bytesDone;
    m_bytesTotal = bytesTotal;
    m_progress = bytesTotal > 0 ? std::min(1.0, static_cast<double>(bytesDone) / static_cast<double>(bytesTotal)) : 0.0;
    Q_EMIT propertiesChanged({QStringLiteral("BytesDone"), QStringLiteral("BytesTotal"), QStringLiteral("Progress")});
}

void Job::setFraction(double progress)
{
    m_progress = std::clamp(progress, 0.0, 1.0);
    Q_EMIT propertiesChanged({QStringLiteral("Progress")});
}

void Job::complete(const Outcome &outcome, const QString &resultPath)
{
    if (m_done)
        return;
    m_done = true;
    m_succeeded = !outcome.has_value();
    if (outcome) {
        m_errorName = outcome->name;
        m_errorMessage = outcome->message;
    } else {
        m_progress = 1.0;
        m_result = resultPath;
    }
    Q_EMIT propertiesChanged({QStringLiteral("Done"), QStringLiteral("Succeeded"), QStringLiteral("ErrorName"),
                              QStringLiteral("ErrorMessage"), QStringLiteral("Result"), QStringLiteral("Progress")});
    Q_EMIT completed(m_succeeded, m_errorName, m_errorMessage, m_result);
}

void Job::cancel()
{
    if (m_done || m_cancelled)
        return;
    m_cancelled = true;
    Q_EMIT cancelRequested();
}

QVariantMap Job::properties() const
{
    return {
        {QStringLiteral("Operation"), m_operation},
        {QStringLiteral("Progress"), m_progress},
        {QStringLiteral("BytesDone"), QVariant::fromValue(m_bytesDone)},
        {QStringLiteral("BytesTotal"), QVariant::fromValue(m_bytesTotal)},
        {QStringLiteral("Done"), m_done},
        {QStringLiteral("Succeeded"), m_succeeded},
        {QStringLiteral("ErrorName"), m_errorName},
        {QStringLiteral("ErrorMessage"), m_errorMessage},
        {QStringLiteral("Result"), QVariant::fromValue(QDBusObjectPath(m_result))},
    };
}

} // namespace Hamlet
