#pragma once

#include <QString>

#include <optional>

// The four states a VM shows in Hamlet, from libvirt's richer vocabulary.
namespace Hamlet::Vms::VmState {

inline const QString Running = QStringLiteral("running");
inline const QString Paused = QStringLiteral("paused");
inline const QString Stopped = QStringLiteral("stopped");
inline const QString Failed = QStringLiteral("failed");

// From virDomainGetState's state and reason (virDomainState, virDomain*Reason).
QString fromDomainState(int state, int reason);

// From a lifecycle event (virDomainEventType and its detail); nullopt for events that change no
// state Hamlet shows (defined, undefined). A finished guest shutdown already counts as stopped.
std::optional<QString> fromLifecycleEvent(int event, int detail);

} // namespace Hamlet::Vms::VmState
