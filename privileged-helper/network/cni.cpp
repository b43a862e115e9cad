#include "cni.h"

#include "logging.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>

#include <QCoro/QCoroProcess>
#include <QCoro/QCoroTimer>

namespace Hamlet::Network {

using Containers::failed;
using Containers::success;

namespace {
constexpr auto kPluginTimeout = std::chrono::seconds(60);
}

Cni::Cni(QString pluginDir)
    : m_pluginDir(std::move(pluginDir))
{ }

QStringList Cni::missingPlugins(const QJsonObject &list) const
{
    QStringList missing;
    for (const QJsonValue &plugin : list.value(QStringLiteral("plugins")).toArray()) {
        const QString type = plugin.toObject().value(QStringLiteral("type")).toString();
        if (!QFileInfo(m_pluginDir + QLatin1Char('/') + type).isExecutable())
            missing << type;
        const QString ipam
            = plugin.toObject().value(QStringLiteral("ipam")).toObject().value(QStringLiteral("type")).toString();
        if (!ipam.isEmpty() && !QFileInfo(m_pluginDir + QLatin1Char('/') + ipam).isExecutable())
            missing << ipam;
    }
    return missing;
}

QJsonObject Cni::pluginConfig(const Call &call, const QJsonObject &plugin, const QJsonObject &prevResult) const
{
    QJsonObject config = plugin;
    config.insert(QStringLiteral("cniVersion"), call.list.value(QStringLiteral("cniVersion")));
    config.insert(QStringLiteral("name"), call.list.value(QStringLiteral("name")));
    if (!prevResult.isEmpty())
        config.insert(QStringLiteral("prevResult"), prevResult);
    QJsonObject runtime;
    const QJsonObject capabilities = plugin.value(QStringLiteral("capabilities")).toObject();
    for (auto it = capabilities.begin(); it != capabilities.end(); ++it) {
        if (it.value().toBool() && call.runtimeConfig.contains(it.key()))
            runtime.insert(it.key(), call.runtimeConfig.value(it.key()));
    }
    if (!runtime.isEmpty())
        config.insert(QStringLiteral("runtimeConfig"), runtime);
    return config;
}

QCoro::Task<Result<QByteArray>> Cni::exec(QString command, Call call, QJsonObject config)
{
    const QString type = config.value(QStringLiteral("type")).toString();
    QProcess process;
    process.setProgram(m_pluginDir + QLatin1Char('/') + type);
    QProcessEnvironment environment;
    environment.insert(QStringLiteral("PATH"), QStringLiteral("/usr/sbin:/usr/bin:/sbin:/bin"));
    environment.insert(QStringLiteral("CNI_COMMAND"), command);
    environment.insert(QStringLiteral("CNI_CONTAINERID"), call.containerId);
    environment.insert(QStringLiteral("CNI_NETNS"), call.netns);
    environment.insert(QStringLiteral("CNI_IFNAME"), call.ifName);
    environment.insert(QStringLiteral("CNI_PATH"), m_pluginDir);
    process.setProcessEnvironment(environment);
    auto coprocess = qCoro(process);
    if (!co_await coprocess.start())
        co_return failed(QStringLiteral("cannot run the CNI plugin %1 (%2): install the 'containernetworking-plugins' "
                                        "package")
                             .arg(process.program(), process.errorString()));
    process.write(QJsonDocument(config).toJson(QJsonDocument::Compact));
    process.closeWriteChannel();
    if (!co_await coprocess.waitForFinished(kPluginTimeout)) {
        process.kill();
        process.waitForFinished(1000);
        co_return failed(QStringLiteral("the CNI plugin %1 did not finish %2 within 60 s").arg(type, command));
    }
    const QByteArray output = process.readAllStandardOutput();
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        // A plugin reports its error as JSON {code, msg, details} on stdout.
        const QJsonObject error = QJsonDocument::fromJson(output).object();
        QString message = error.value(QStringLiteral("msg")).toString();
        if (const QString details = error.value(QStringLiteral("details")).toString(); !details.isEmpty())
            message += QStringLiteral(": ") + details;
        if (message.isEmpty())
            message = QString::fromUtf8(process.readAllStandardError() + output).trimmed();
        co_return failed(
            QStringLiteral("the CNI plugin %1 failed %2 for %3: %4").arg(type, command, call.containerId, message));
    }
    co_return output;
}

QCoro::Task<Result<QJsonObject>> Cni::add(Call call)
{
    QJsonObject result = call.prevResult;
    const QJsonArray plugins = call.list.value(QStringLiteral("plugins")).toArray();
    m_lastTimings.clear();
    for (qsizetype i = 0; i < plugins.size(); ++i) {
        const QJsonObject config = pluginConfig(call, plugins.at(i).toObject(), result);
        QElapsedTimer timer;
        timer.start();
        const Result<QByteArray> output = co_await exec(QStringLiteral("ADD"), call, config);
        m_lastTimings
            << QStringLiteral("%1 %2 ms").arg(config.value(QStringLiteral("type")).toString()).arg(timer.elapsed());
        if (!output) {
            // As libcni: a failed ADD is followed by a DEL of the whole list, so that the plugins
            // that did succeed (address, veth, rules) take back what they made.
            co_await del(call, result);
            co_return output.error();
        }
        const QJsonObject next = QJsonDocument::fromJson(*output).object();
        if (!next.isEmpty())
            result = next;
    }
    co_return result;
}

QCoro::Task<Status> Cni::del(Call call, QJsonObject cachedResult)
{
    const QJsonArray plugins = call.list.value(QStringLiteral("plugins")).toArray();
    QStringList problems;
    for (qsizetype i = plugins.size() - 1; i >= 0; --i) {
        const QJsonObject config = pluginConfig(call, plugins.at(i).toObject(), cachedResult);
        // DEL is idempotent (CNI spec), and a plugin's iptables call can fail for a moment while
        // another program holds the tables: a rule left now would point at a dead address for
        // ever, so try again before giving up.
        Result<QByteArray> output = co_await exec(QStringLiteral("DEL"), call, config);
        for (int retry = 1; !output && retry <= 2; ++retry) {
            Log::helper()->info("CNI DEL retry {}: {}", retry, output.error().message);
            co_await QCoro::sleepFor(std::chrono::milliseconds(200 * retry));
            output = co_await exec(QStringLiteral("DEL"), call, config);
        }
        if (!output)
            problems << output.error().message;
    }
    if (!problems.isEmpty()) {
        Log::helper()->warn("{}", problems.join(QStringLiteral("; ")));
        co_return failed(problems.join(QStringLiteral("; ")));
    }
    co_return success();
}

} // namespace Hamlet::Network
