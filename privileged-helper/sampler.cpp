#include "sampler.h"

#include "dbusnames.h"
#include "logging.h"

#include <QDBusMessage>

#include <ctime>

namespace Hamlet {

namespace {
qint64 nanoseconds(clockid_t clock)
{
    timespec now {};
    clock_gettime(clock, &now);
    return static_cast<qint64>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}
} // namespace

Sampler::Sampler(QDBusConnection bus, Subscriptions &subscriptions, InstanceRegistry &registry, QObject *parent)
    : QObject(parent)
    , m_bus(std::move(bus))
    , m_subscriptions(subscriptions)
    , m_registry(registry)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, [this] { tick(); });
    connect(&m_subscriptions, &Subscriptions::changed, this, &Sampler::reschedule);
}

void Sampler::reschedule()
{
    const uint interval = m_subscriptions.intervalMs();
    if (interval == 0) {
        m_timer.stop();
        Log::stats()->debug("nobody subscribed: sampling stopped");
        return;
    }
    if (!m_timer.isActive() || m_timer.interval() != static_cast<int>(interval)) {
        m_timer.start(static_cast<int>(interval));
        Log::stats()->debug("sampling every {} ms for {} subscriber(s)", interval,
                            m_subscriptions.subscribers().size());
        tick(); // the first sample at once, so rates can start with the next one
    }
}

QCoro::Task<> Sampler::tick()
{
    if (m_gathering)
        co_return;
    m_gathering = true;
    // Process CPU time: the VM statistics are gathered on a libvirt worker thread.
    const qint64 cpuStart = nanoseconds(CLOCK_PROCESS_CPUTIME_ID);
    ++m_ticks;
    SampleBatch batch;
    for (InstanceBackend *backend : m_registry.backends())
        batch += co_await backend->sample();
    m_gathering = false;
    const auto monotonic = static_cast<qulonglong>(nanoseconds(CLOCK_MONOTONIC));
    const QVariant samples = QVariant::fromValue(batch);
    for (const QString &subscriber : m_subscriptions.subscribers()) {
        QDBusMessage signal = QDBusMessage::createTargetedSignal(subscriber, Bus::ManagerPath, Bus::ManagerInterface,
                                                                 QStringLiteral("Samples"));
        signal << monotonic << samples;
        m_bus.send(signal);
    }
    m_lastTickCpuNs = nanoseconds(CLOCK_PROCESS_CPUTIME_ID) - cpuStart;
}

} // namespace Hamlet
