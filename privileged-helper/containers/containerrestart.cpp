// ContainerBackend: restart policies (the spec's "restart"), applied when a container's process
// ends by itself and when the helper starts.
#include "containerbackend.h"

#include "logging.h"

#include <QCoro/QCoroTimer>

namespace Hamlet::Containers {

void ContainerBackend::resetRestarts(Container &container)
{
    container.record.restartCount = 0;
    container.record.firstRestartAt = {};
    container.record.lastRestartAt = {};
    container.restartDelay = std::chrono::milliseconds(0);
    ++container.restartToken;
}

void ContainerBackend::settleExit(Container &container, int exitCode, const QString &launchError)
{
    ContainerRecord &record = container.record;
    const RestartPolicy &policy = record.spec.restart;
    const QString name = record.spec.name;
    if (record.stoppedByUser || !policy.wantsRestart(exitCode)) {
        if (launchError.isEmpty())
            setState(container, ContainerState::Stopped, exitCode);
        else
            setState(container, ContainerState::Failed, exitCode, launchError);
        return;
    }
    if (policy.exhausted(record.restartCount)) {
        const QString how = launchError.isEmpty()
            ? (exitCode >= 0 ? QStringLiteral("it exited with status %1").arg(exitCode)
                             : QStringLiteral("it ended with an unknown status"))
            : launchError;
        setState(container, ContainerState::Failed, exitCode,
                 QStringLiteral("%1 after %2 restarts, and the restart policy %3 gave up: find the cause in its log "
                                "or console, then start it again")
                     .arg(how)
                     .arg(record.restartCount)
                     .arg(policy.toString()));
        return;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const std::chrono::milliseconds ranFor(record.startedAt.isValid() ? record.startedAt.msecsTo(now) : 0);
    container.restartDelay = restartBackoff(container.restartDelay, ranFor);
    const quint64 token = ++container.restartToken;
    setState(container, ContainerState::Restarting, exitCode, launchError);
    Log::containers()->info("container {}: restart {} in {} ms (policy {})", name, record.restartCount + 1,
                            container.restartDelay.count(), policy.toString());
    restartLater(name, token, container.restartDelay);
}

QCoro::Task<> ContainerBackend::restartLater(QString name, quint64 token, std::chrono::milliseconds delay)
{
    co_await QCoro::sleepFor(delay);
    Container *container = co_await settled(name); // the runtime's leftovers of the last run gone
    // Started, stopped or deleted by a person meanwhile: that is what stands.
    if (!container || container->restartToken != token || container->record.state != ContainerState::Restarting
        || container->busy)
        co_return;
    Status launched = success();
    {
        const BusyGuard guard(*container);
        ContainerRecord &record = container->record;
        const QDateTime now = QDateTime::currentDateTimeUtc();
        ++record.restartCount;
        if (record.restartCount == 1 || !record.firstRestartAt.isValid())
            record.firstRestartAt = now;
        record.lastRestartAt = now;
        record.startedAt = {};
        launched = co_await launch(*container);
    }
    container = find(name);
    if (!launched && container) {
        Log::containers()->warn("restart of {} failed: {}", name, launched.error().message);
        settleExit(*container, -1, launched.error().message); // a failed run too: back off, retry
    }
}

void ContainerBackend::applyRestartPoliciesAtStart()
{
    for (const auto &[name, container] : m_containers) {
        const ContainerState state = container->record.state;
        // Stopped by itself while the helper was away (or waiting for a restart when it went).
        if ((state == ContainerState::Stopped || state == ContainerState::Restarting)
            && container->record.spec.restart.wantsRestart(container->record.exitCode)
            && !container->record.stoppedByUser)
            settleExit(*container, container->record.exitCode);
    }
}

} // namespace Hamlet::Containers
