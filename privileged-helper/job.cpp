#include "job.h"

#include "dbusnames.h"

namespace Hamlet {

Job::Job(uint id, QString operation, QString polkitAction, QObject *parent)
    : QObject(parent)
    , m_id(id)
    , m_operation(std::move(operation))
    , m_polkitAction(std::move(polkitAction))
{
    m_announceTimer.setSingleShot(true);
    m_announceTimer.setInterval(ThrottleMs);
    connect(&m_announceTimer, &QTimer::timeout, this, &Job::flushAnnouncements);
}

void Job::announce(const QStringList &names)
{
    for (const QString &name : names)
        m_pendingNames.insert(name);
    if (!m_announceTimer.isActive())
        m_announceTimer.start();
}

void Job::flushAnnouncements()
{
    m_announceTimer.stop();
    if (m_pendingNames.isEmpty())
        return;
    const QStringList names(m_pendingNames.begin(), m_pendingNames.end());
    m_pendingNames.clear();
    Q_EMIT propertiesChanged(names);
}

QString Job::path() const
{
    return Bus::JobPathPrefix + QString::number(m_id);
}

void Job::setProgress(qulonglong bytesDone, qulonglong bytesTotal)
{
    m_bytesDone = bytesDone;
    m_bytesTotal = bytesTotal;
    m_progress = bytesTotal > 0 ? std::min(1.0, static_cast<double>(bytesDone) / static_cast<double>(bytesTotal)) : 0.0;
    announce({QStringLiteral("BytesDone"), QStringLiteral("BytesTotal"), QStringLiteral("Progress")});
}

void Job::setFraction(double progress)
{
    m_progress = std::clamp(progress, 0.0, 1.0);
    announce({QStringLiteral("Progress")});
}

void Job::setLayers(const VariantMapList &layers)
{
    m_layers = layers;
    announce({QStringLiteral("Layers")});
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
    announce({QStringLiteral("Done"), QStringLiteral("Succeeded"), QStringLiteral("ErrorName"),
              QStringLiteral("ErrorMessage"), QStringLiteral("Result"), QStringLiteral("Progress")});
    flushAnnouncements();
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
        {QStringLiteral("Layers"), QVariant::fromValue(m_layers)},
    };
}

} // namespace Hamlet
