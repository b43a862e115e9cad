// TestSystem: the helper's network, and taking back what a test that failed half-way left of it.
#include "networkrules.h"
#include "testsystem.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

namespace Hamlet::Test {

QString TestSystem::networkBridge() const
{
    // Interface names have at most 15 characters: "hmt" and 10 hex digits of this system's dir.
    return QStringLiteral("hmt")
        + QString::fromLatin1(
               QCryptographicHash::hash(m_dir.path().toUtf8(), QCryptographicHash::Sha256).toHex().left(10));
}

QString TestSystem::networkSubnet() const
{
    QFile file(stateDir() + QStringLiteral("/network/network.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("subnet")).toString();
}

void TestSystem::removeNetworkLeftovers()
{
    // Processes (dnsmasq) and namespace mounts under the test's directory went with
    // removeLeftovers(); the rules and the bridge are host-wide.
    removeHamletRules(cniNetworkName(), networkSubnet());
    if (QFile::exists(QStringLiteral("/sys/class/net/") + networkBridge()))
        QProcess::execute(QStringLiteral("ip"), {QStringLiteral("link"), QStringLiteral("del"), networkBridge()});
}

} // namespace Hamlet::Test
