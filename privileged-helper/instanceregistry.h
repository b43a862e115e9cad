#pragma once

#include "dbustypes.h"
#include "instancebackend.h"

#include <QHash>
#include <QObject>

namespace Hamlet {

// The instances the helper shows: one InstanceInfo per name, whatever its kind, with the backend
// that owns it. Only fully created instances are here (a create in progress is not listed).
class InstanceRegistry : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    void addBackend(InstanceBackend *backend);
    InstanceBackend *backendFor(const QString &kind) const;
    QList<InstanceBackend *> backends() const { return m_backends; }

    bool contains(const QString &name) const { return m_instances.contains(name); }
    const InstanceInfo *find(const QString &name) const;
    InstanceBackend *backendOf(const QString &name) const;
    InstanceSummaryList summaries() const;

    void add(const InstanceInfo &info);
    void remove(const QString &name);
    // Applies a new state; emits changed with the property names that changed.
    // live: the backend's view now, for Error and the restart figures that change with a state.
    void updateState(const QString &name, const QString &state, int exitCode, qulonglong startedAtMs,
                     const std::optional<InstanceInfo> &live = std::nullopt);
    void updateSpec(const QString &name, const QVariantMap &spec);

    // Names reserved by creates in progress, so two creates of one name cannot race.
    bool reserve(const QString &name);
    void release(const QString &name);

Q_SIGNALS:
    void added(const QString &name, const QString &kind);
    void removed(const QString &name);
    void changed(const QString &name, const QStringList &properties);

private:
    QList<InstanceBackend *> m_backends;
    QHash<QString, InstanceInfo> m_instances;
    QSet<QString> m_reserved;
};

} // namespace Hamlet
