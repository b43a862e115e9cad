#include "instancefeed.h"

#include "dbusnames.h"
#include "instancelistmodel.h"
#include "logging.h"

#include <QDBusServiceWatcher>

namespace Hamlet {

InstanceFeed::InstanceFeed(HelperClient *client, InstanceListModel *model, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_model(model)
    , m_watcher(
          new QDBusServiceWatcher(Bus::ServiceName, client->bus(), QDBusServiceWatcher::WatchForOwnerChange, this))
{
    connect(m_client, &HelperClient::instanceAdded, this, [this](const QString &name, const QString &kind) {
        Log::gui()->info("instance added: {} ({})", name.toStdString(), kind.toStdString());
        const QString creating = QStringLiteral("creating");
        m_model->addInstance(name, kind, creating);
        fetchProperties(name);
    });
    connect(m_client, &HelperClient::instanceRemoved, this, [this](const QString &name) {
        Log::gui()->info("instance removed: {}", name.toStdString());
        m_expectedStops.remove(name);
        m_model->removeInstance(name);
    });
    connect(m_client, &HelperClient::instanceChanged, m_model, &InstanceListModel::updateProperties);
    connect(m_client, &HelperClient::samples, m_model, &InstanceListModel::addSamples);
    connect(m_model, &InstanceListModel::stateChanged, this, &InstanceFeed::onStateChanged);
    connect(m_watcher, &QDBusServiceWatcher::serviceOwnerChanged, this,
            [this](const QString &, const QString &, const QString &newOwner) {
                if (newOwner.isEmpty()) {
                    Log::gui()->warn("the helper left the bus");
                    m_connected = false;
                    m_subscribed = false;
                    Q_EMIT helperLost();
                } else {
                    Log::gui()->info("the helper is back on the bus as {}", newOwner.toStdString());
                    Q_EMIT helperReturned();
                }
            });
}

void InstanceFeed::refresh()
{
    if (m_refreshing)
        return;
    m_refreshing = true;
    // Subscribe first, then list: the helper sends instance signals to subscribers only, so an
    // instance added between the two is in the list or in an InstanceAdded, never in neither.
    QCoro::connect(m_client->subscribe(SampleIntervalMs), this, [this](const Result<bool> &subscribed) {
        m_subscribed = std::holds_alternative<bool>(subscribed);
        std::optional<ClientError> subscribeError;
        if (const auto *error = std::get_if<ClientError>(&subscribed)) {
            Log::gui()->warn("subscribing to samples failed: {}", error->message.toStdString());
            subscribeError = *error;
        }
        list(subscribeError);
    });
}

void InstanceFeed::list(std::optional<ClientError> subscribeError)
{
    QCoro::connect(m_client->listInstances(), this, [this, subscribeError](const Result<InstanceSummaryList> &result) {
        m_refreshing = false;
        if (const auto *error = std::get_if<ClientError>(&result)) {
            m_connected = false;
            m_subscribed = false;
            Q_EMIT failed(*error);
            Q_EMIT refreshed();
            return;
        }
        m_connected = true;
        const InstanceSummaryList &instances = std::get<InstanceSummaryList>(result);
        m_model->reset(instances);
        for (const InstanceSummary &summary : instances)
            fetchProperties(summary.name);
        Q_EMIT refreshed();
        if (subscribeError)
            Q_EMIT failed(*subscribeError);
    });
}

void InstanceFeed::fetchProperties(const QString &name)
{
    QCoro::connect(m_client->instanceProperties(name), this, [this, name](const Result<QVariantMap> &result) {
        if (const auto *properties = std::get_if<QVariantMap>(&result))
            m_model->updateProperties(name, *properties);
        else
            Log::gui()->warn("reading the properties of {} failed: {}", name.toStdString(),
                             std::get<ClientError>(result).message.toStdString());
    });
}

void InstanceFeed::onStateChanged(const QString &name, const QString &from, const QString &to)
{
    // Addresses change with the state but have no PropertiesChanged of their own: read them again.
    if (to == QLatin1String("running") || from == QLatin1String("running"))
        fetchProperties(name);
    const bool wasUp = from == QLatin1String("running") || from == QLatin1String("paused");
    if (to == QLatin1String("stopped") && wasUp) {
        if (m_expectedStops.remove(name))
            return;
        const auto *instance = m_model->instance(name);
        const int exitCode = instance ? instance->exitCode : -1;
        const QString detail = exitCode >= 0 ? tr("%1 stopped on its own (exit code %2).").arg(name).arg(exitCode)
                                             : tr("%1 stopped on its own.").arg(name);
        Q_EMIT stoppedUnexpectedly(name, to, detail);
    } else if (to == QLatin1String("failed")) {
        m_expectedStops.remove(name);
        const auto *instance = m_model->instance(name);
        const QString why = instance && !instance->error.isEmpty() ? instance->error : tr("no reason given");
        Q_EMIT stoppedUnexpectedly(name, to, tr("%1 failed: %2").arg(name, why));
    }
}

} // namespace Hamlet
