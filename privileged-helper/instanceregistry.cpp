#include "instanceregistry.h"

#include "dbusnames.h"

#include <QSet>
#include <algorithm>

namespace Hamlet {

void InstanceRegistry::addBackend(InstanceBackend *backend)
{
    m_backends << backend;
    connect(backend, &InstanceBackend::stateChanged, this,
            [this, backend](const QString &name, const QString &state, int exitCode, qulonglong startedAtMs) {
                updateState(name, state, exitCode, startedAtMs, backend->find(name));
            });
}

InstanceBackend *InstanceRegistry::backendFor(const QString &kind) const
{
    const auto it = std::find_if(m_backends.cbegin(), m_backends.cend(),
                                 [&kind](const InstanceBackend *backend) { return backend->kind() == kind; });
    return it == m_backends.cend() ? nullptr : *it;
}

const InstanceInfo *InstanceRegistry::find(const QString &name) const
{
    const auto it = m_instances.constFind(name);
    return it == m_instances.cend() ? nullptr : &it.value();
}

InstanceBackend *InstanceRegistry::backendOf(const QString &name) const
{
    const InstanceInfo *info = find(name);
    return info ? backendFor(info->kind) : nullptr;
}

InstanceSummaryList InstanceRegistry::summaries() const
{
    InstanceSummaryList list;
    for (const InstanceInfo &info : m_instances)
        list.append({info.name, info.kind, info.state, QDBusObjectPath(Bus::instancePath(info.name))});
    std::sort(list.begin(), list.end(),
              [](const InstanceSummary &a, const InstanceSummary &b) { return a.name < b.name; });
    return list;
}

void InstanceRegistry::add(const InstanceInfo &info)
{
    m_reserved.remove(info.name);
    m_instances.insert(info.name, info);
    Q_EMIT added(info.name, info.kind);
}

void InstanceRegistry::remove(const QString &name)
{
    if (m_instances.remove(name) > 0)
        Q_EMIT removed(name);
}

void InstanceRegistry::updateState(const QString &name, const QString &state, int exitCode, qulonglong startedAtMs,
                                   const std::optional<InstanceInfo> &live)
{
    const auto it = m_instances.find(name);
    if (it == m_instances.end())
        return;
    QStringList changedProperties;
    if (it->state != state) {
        it->state = state;
        changedProperties << QStringLiteral("State");
    }
    if (it->exitCode != exitCode) {
        it->exitCode = exitCode;
        changedProperties << QStringLiteral("ExitCode");
    }
    if (startedAtMs != 0 && it->startedAtMs != startedAtMs) {
        it->startedAtMs = startedAtMs;
        changedProperties << QStringLiteral("StartedAt");
    }
    // What changes with the state: why it failed (or "" again), the restart policy's count; as the
    // backend knows it now when the caller did not say.
    std::optional<InstanceInfo> current = live;
    if (!current) {
        if (InstanceBackend *backend = backendFor(it->kind))
            current = backend->find(name);
    }
    if (current) {
        if (it->error != current->error) {
            it->error = current->error;
            changedProperties << QStringLiteral("Error");
        }
        if (it->restartCount != current->restartCount || it->firstRestartAtMs != current->firstRestartAtMs
            || it->lastRestartAtMs != current->lastRestartAtMs) {
            it->restartCount = current->restartCount;
            it->firstRestartAtMs = current->firstRestartAtMs;
            it->lastRestartAtMs = current->lastRestartAtMs;
            changedProperties << QStringLiteral("RestartCount") << QStringLiteral("FirstRestartAt")
                              << QStringLiteral("LastRestartAt");
        }
    }
    if (!changedProperties.isEmpty())
        Q_EMIT changed(name, changedProperties);
}

void InstanceRegistry::updateSpec(const QString &name, const QVariantMap &spec)
{
    const auto it = m_instances.find(name);
    if (it == m_instances.end() || it->spec == spec)
        return;
    it->spec = spec;
    Q_EMIT changed(name, {QStringLiteral("Spec")});
}

bool InstanceRegistry::reserve(const QString &name)
{
    if (m_instances.contains(name) || m_reserved.contains(name))
        return false;
    m_reserved.insert(name);
    return true;
}

void InstanceRegistry::release(const QString &name)
{
    m_reserved.remove(name);
}

} // namespace Hamlet
