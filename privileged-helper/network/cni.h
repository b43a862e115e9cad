#pragma once

#include "result.h"

#include <QJsonObject>
#include <QString>

#include <QCoro/QCoroTask>

namespace Hamlet::Network {

using Containers::Result;
using Containers::Status;

// Runs a CNI network configuration list (the plugins of Debian's containernetworking-plugins) the
// way libcni does: each plugin gets the list's name and cniVersion, the previous plugin's result
// as prevResult, and the runtimeConfig entries its "capabilities" ask for. ADD runs the list in
// order and undoes what it did when a plugin fails; DEL runs it backwards, always to the end, with
// the cached ADD result as prevResult.
class Cni
{
public:
    struct Call {
        QJsonObject list; // {cniVersion, name, plugins: [...]}
        QString containerId;
        QString netns; // path
        QString ifName = QStringLiteral("eth0");
        QJsonObject runtimeConfig; // e.g. {portMappings: [...]}
        // The result the first plugin gets as prevResult: a list that continues one run before
        // (portmap for an address host-local reserved earlier).
        QJsonObject prevResult;
    };

    explicit Cni(QString pluginDir = QStringLiteral("/usr/lib/cni"));

    QString pluginDir() const { return m_pluginDir; }
    // The plugins the list needs that are not installed, for a message; empty when all are there.
    QStringList missingPlugins(const QJsonObject &list) const;

    QCoro::Task<Result<QJsonObject>> add(Call call);
    // What each plugin of the last add() took ("bridge 31 ms, firewall 40 ms"), for the log.
    QString lastTimings() const { return m_lastTimings.join(QStringLiteral(", ")); }
    QCoro::Task<Status> del(Call call, QJsonObject cachedResult);

private:
    QJsonObject pluginConfig(const Call &call, const QJsonObject &plugin, const QJsonObject &prevResult) const;
    QCoro::Task<Result<QByteArray>> exec(QString command, Call call, QJsonObject config);

    QString m_pluginDir;
    QStringList m_lastTimings;
};

} // namespace Hamlet::Network
