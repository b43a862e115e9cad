#pragma once

#include <QObject>
#include <QSocketNotifier>

namespace Hamlet {

// SIGTERM and SIGINT end the event loop instead of the process, so the helper's objects are
// destroyed in order: libvirt finishes what it started (no QEMU probe is left paused behind).
// The handler only writes to a pipe the Qt thread watches. Signals are not blocked: a blocked
// mask would be inherited by runc and QEMU and make them deaf to SIGTERM.
class QuitOnSignals : public QObject
{
    Q_OBJECT
public:
    // Call once the QCoreApplication exists.
    QuitOnSignals();
    ~QuitOnSignals() override;

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace Hamlet
