#include "sampler.h"

#include "dbusnames.h"
#include "logging.h"

#include <QDBusMessage>
#include <QDateTime>

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

Sampler::Sampler(QDBusConnection bus, Subscriptions &subscriptions, InstanceRegistry &registry,
                 History::Recorder *history, QObject *parent)
    : QObject(parent)
    , m_bus(std::move(bus))
    , m_subscriptions(subscriptions)
    , m_registry(registry)
    , m_history(history)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, [this] { tick(); });
    connect(&m_subscriptions, &Subscriptions::changed, this, &Sampler::reschedule);
    connect(&m_registry, &InstanceRegistry::added, this, &Sampler::reschedule);
    connect(&m_registry, &InstanceRegistry::removed, this, &Sampler::reschedule);
    connect(&m_registry, &InstanceRegistry::changed, this, [this](const QString &, const QStringList &properties) {
        if (properties.contains(QStringLiteral("State")))
            reschedule();
    });
}

bool Sampler::anyRunning() const
{
    for (const InstanceSummary &instance : m_registry.summaries())
        if (instance.state == QLatin1String("running") || instance.state == QLatin1String("paused"))
            return true;
    return false;
}

void Sampler::reschedule()
{
    uint interval = m_subscriptions.intervalMs();
    if (m_history && anyRunning())
        interval = interval == 0 ? HistoryIntervalMs : std::min(interval, HistoryIntervalMs);
    if (interval == 0) {
        if (m_timer.isActive()) {
            m_timer.stop();
            Log::stats()->debug("nothing runs and nobody subscribed: sampling stopped");
        }
        if (m_history)
            m_history->flush(); // the last seconds of the instances that stopped
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
    if (m_history)
        m_history->record(QDateTime::currentMSecsSinceEpoch(), monotonic, batch);
    const QVariant samples = QVariant::fromValue(batch);
    const QStringList subscribers = m_subscriptions.subscribers();
    for (auto it = m_lastSentNs.begin(); it != m_lastSentNs.end();)
        it = subscribers.contains(it.key()) ? std::next(it) : m_lastSentNs.erase(it);
    for (const QString &subscriber : subscribers) {
        // Ticks come every second for the history: one who asked for less often waits for its
        // interval (with a tenth of slack for the timer's jitter).
        const qulonglong intervalNs = qulonglong(m_subscriptions.intervalMsOf(subscriber)) * 1'000'000;
        if (const auto last = m_lastSentNs.constFind(subscriber);
            last != m_lastSentNs.constEnd() && monotonic < *last + intervalNs - intervalNs / 10)
            continue;
        m_lastSentNs.insert(subscriber, monotonic);
        QDBusMessage signal = QDBusMessage::createTargetedSignal(subscriber, Bus::ManagerPath, Bus::ManagerInterface,
                                                                 QStringLiteral("Samples"));
        signal << monotonic << samples;
        m_bus.send(signal);
    }
    m_lastTickCpuNs = nanoseconds(CLOCK_PROCESS_CPUTIME_ID) - cpuStart;
}

} // namespace Hamlet
