#include "network.h"

#include "logging.h"
#include "netns.h"
#include "networkfirewall.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace Hamlet::Network {

using Containers::failed;
using Containers::Status;
using Containers::success;

namespace {

std::shared_ptr<spdlog::logger> log()
{
    return Log::get("network");
}

Result<QByteArray> runIp(const QStringList &arguments)
{
    QProcess process;
    process.start(QStringLiteral("ip"), arguments);
    if (!process.waitForStarted(5000))
        return failed(QStringLiteral("cannot run ip (%1): install the 'iproute2' package").arg(process.errorString()));
    if (!process.waitForFinished(10000) || process.exitCode() != 0)
        return failed(
            QStringLiteral("ip %1 failed: %2")
                .arg(arguments.join(QLatin1Char(' ')), QString::fromUtf8(process.readAllStandardError()).trimmed()));
    return process.readAllStandardOutput();
}

// Every subnet and address the host has now, so that a new Hamlet subnet collides with none.
QList<Ipv4Net> hostNetworks()
{
    QList<Ipv4Net> taken;
    if (const Result<QByteArray> routes
        = runIp({QStringLiteral("-j"), QStringLiteral("-4"), QStringLiteral("route"), QStringLiteral("show"),
                 QStringLiteral("table"), QStringLiteral("all")}))
        taken << routesFromIpJson(*routes);
    if (const Result<QByteArray> addresses
        = runIp({QStringLiteral("-j"), QStringLiteral("-4"), QStringLiteral("addr")})) {
        for (const QJsonValue &link : QJsonDocument::fromJson(*addresses).array()) {
            for (const QJsonValue &info : link.toObject().value(QStringLiteral("addr_info")).toArray()) {
                const QJsonObject address = info.toObject();
                if (const auto net = Ipv4Net::parse(QStringLiteral("%1/%2").arg(
                        address.value(QStringLiteral("local")).toString(),
                        QString::number(address.value(QStringLiteral("prefixlen")).toInt()))))
                    taken << *net;
            }
        }
    }
    return taken;
}

// The IPv4 address and prefix of an existing interface, if it has one.
std::optional<Ipv4Net> interfaceAddress(const QString &name)
{
    const Result<QByteArray> json = runIp({QStringLiteral("-j"), QStringLiteral("-4"), QStringLiteral("addr"),
                                           QStringLiteral("show"), QStringLiteral("dev"), name});
    if (!json)
        return std::nullopt;
    for (const QJsonValue &link : QJsonDocument::fromJson(*json).array()) {
        for (const QJsonValue &info : link.toObject().value(QStringLiteral("addr_info")).toArray()) {
            const QJsonObject address = info.toObject();
            return Ipv4Net::parse(
                QStringLiteral("%1/%2").arg(address.value(QStringLiteral("local")).toString(),
                                            QString::number(address.value(QStringLiteral("prefixlen")).toInt())));
        }
    }
    return std::nullopt;
}

bool interfaceExists(const QString &name)
{
    return QFileInfo::exists(QStringLiteral("/sys/class/net/") + name);
}

quint64 readCounter(const QString &interface, const char *counter)
{
    QFile file(QStringLiteral("/sys/class/net/%1/statistics/%2").arg(interface, QLatin1String(counter)));
    return file.open(QIODevice::ReadOnly) ? file.readAll().trimmed().toULongLong() : 0;
}

// Picking a subnet and claiming it with the bridge's address is one step for every helper of the
// machine (tests run several at once): a host-wide lock makes the second one see the first's route.
class HostLock
{
public:
    HostLock()
    {
        const QString dir
            = QFileInfo(QStringLiteral("/run/lock")).isDir() ? QStringLiteral("/run/lock") : QDir::tempPath();
        m_fd = ::open(QFile::encodeName(dir + QStringLiteral("/hamlet-network.lock")).constData(),
                      O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (m_fd >= 0)
            ::flock(m_fd, LOCK_EX);
    }
    ~HostLock()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    HostLock(const HostLock &) = delete;
    HostLock &operator=(const HostLock &) = delete;

private:
    int m_fd = -1;
};

} // namespace

Network::Network(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_cni(m_options.pluginDir)
{
    // The default network keeps the plain name; another bridge (tests, a second helper) gets its
    // own, which tags its rules ("name: ..." comments) apart from every other helper's.
    m_cniName = m_options.bridge == QLatin1String("hamlet0") ? QStringLiteral("hamlet")
                                                             : QStringLiteral("hamlet-") + m_options.bridge;
}

QString Network::recordPath(const QString &name) const
{
    return m_options.stateDir + QStringLiteral("/attachments/") + name + QStringLiteral(".json");
}

QString Network::netnsPath(const QString &name) const
{
    return m_options.runDir + QLatin1Char('/') + name;
}

Status Network::chooseSubnet()
{
    const QString recordFile = m_options.stateDir + QStringLiteral("/network.json");
    const QJsonObject record = loadJson(recordFile);
    if (record.value(QStringLiteral("bridge")).toString() == m_options.bridge) {
        if (const auto subnet = Ipv4Net::parse(record.value(QStringLiteral("subnet")).toString())) {
            m_subnet = *subnet;
            return success();
        }
    }
    const std::optional<Ipv4Net> pool = Ipv4Net::parse(m_options.pool);
    if (!pool || pool->prefix > 24)
        return ErrorReply {
            Error::InvalidArgument,
            QStringLiteral("the network pool \"%1\" is not an IPv4 network of /24 or larger").arg(m_options.pool)};
    const HostLock lock;
    if (const std::optional<Ipv4Net> existing = interfaceAddress(m_options.bridge)) {
        m_subnet = Ipv4Net {existing->network(), existing->prefix};
    } else {
        const std::optional<Ipv4Net> free = firstFreeSubnet(*pool, hostNetworks());
        if (!free)
            return failed(QStringLiteral("every /24 of the pool %1 overlaps a route of this host: choose another "
                                         "pool (--network-pool)")
                              .arg(m_options.pool));
        m_subnet = *free;
        if (Status made = ensureBridge(); !made)
            return made;
    }
    log()->info("network {}: bridge {}, subnet {}", m_cniName, m_options.bridge, m_subnet.toString());
    return saveJson(recordFile,
                    {{QStringLiteral("bridge"), m_options.bridge},
                     {QStringLiteral("subnet"), m_subnet.toString()},
                     {QStringLiteral("name"), m_cniName}});
}

Status Network::ensureBridge()
{
    const QString &bridge = m_options.bridge;
    if (!interfaceExists(bridge)) {
        if (Result<QByteArray> added = runIp({QStringLiteral("link"), QStringLiteral("add"), bridge,
                                              QStringLiteral("type"), QStringLiteral("bridge")});
            !added)
            return added.error();
    }
    if (!interfaceAddress(bridge)) {
        if (Result<QByteArray> addressed
            = runIp({QStringLiteral("addr"), QStringLiteral("add"),
                     gateway() + QStringLiteral("/%1").arg(m_subnet.prefix), QStringLiteral("dev"), bridge});
            !addressed)
            return addressed.error();
    }
    if (Result<QByteArray> up = runIp({QStringLiteral("link"), QStringLiteral("set"), bridge, QStringLiteral("up")});
        !up)
        return up.error();
    return success();
}

QCoro::Task<Status> Network::initialize()
{
    for (const QString &dir : {m_options.stateDir + QStringLiteral("/attachments"), m_options.runDir}) {
        if (!QDir().mkpath(dir)) {
            m_unavailable = QStringLiteral("cannot create %1").arg(dir);
            co_return failed(m_unavailable);
        }
    }
    Status ready = chooseSubnet();
    if (ready)
        ready = ensureBridge();
    // The network's own masquerade and forward rules (the VMs' egress): checked at every start.
    if (ready)
        ready = NetworkFirewall(m_cniName, m_options.bridge, m_subnet).ensure();
    if (ready) {
        const QStringList missing = m_cni.missingPlugins(cniList({PortMapping {}}));
        if (!missing.isEmpty())
            ready = failed(QStringLiteral("the CNI plugins %1 are missing from %2: install the "
                                          "'containernetworking-plugins' package")
                               .arg(missing.join(QStringLiteral(", ")), m_options.pluginDir));
    }
    if (ready) {
        m_dnsmasq.emplace(Dnsmasq::Config {m_options.stateDir, m_options.bridge, m_subnet, gateway()});
        ready = m_dnsmasq->start();
    }
    for (const QFileInfo &file : QDir(m_options.stateDir + QStringLiteral("/attachments"))
                                     .entryInfoList({QStringLiteral("*.json")}, QDir::Files)) {
        Attachment attachment = Attachment::fromJson(loadJson(file.filePath()));
        if (!attachment.name.isEmpty())
            m_attachments.emplace(attachment.name, std::move(attachment));
    }
    if (!ready) {
        m_unavailable = ready.error().message;
        log()->error("the Hamlet network is unavailable: {}", m_unavailable);
        co_return ready;
    }
    m_unavailable.clear();
    updateDns();
    co_return success();
}

QJsonObject Network::ipamConfig() const
{
    const QJsonObject range {{QStringLiteral("subnet"), m_subnet.toString()},
                             {QStringLiteral("gateway"), gateway()},
                             {QStringLiteral("rangeStart"), m_subnet.host(2)},
                             {QStringLiteral("rangeEnd"), Ipv4Net::addressToString(m_subnet.broadcast() - 1)}};
    const QJsonObject ipam {
        {QStringLiteral("type"), QStringLiteral("host-local")},
        {QStringLiteral("ranges"), QJsonArray {QJsonArray {range}}},
        {QStringLiteral("routes"), QJsonArray {QJsonObject {{QStringLiteral("dst"), QStringLiteral("0.0.0.0/0")}}}},
        {QStringLiteral("dataDir"), m_options.stateDir + QStringLiteral("/ipam")}};
    return ipam;
}

QJsonObject Network::cniList(const QList<PortMapping> &ports, ListVersion version) const
{
    // Masquerade and forwarding are the network's own rules (NetworkFirewall): the bridge plugin
    // masquerading each address again, and the firewall plugin accepting each address in FORWARD,
    // cost a create some 50 ms of iptables calls for nothing more. Attachments made before that
    // (records without their list) were made, and are undone, with both.
    const bool legacy = version == ListVersion::WithPerAddressRules;
    const QJsonObject ipam = ipamConfig();
    QJsonArray plugins {QJsonObject {{QStringLiteral("type"), QStringLiteral("bridge")},
                                     {QStringLiteral("bridge"), m_options.bridge},
                                     {QStringLiteral("isGateway"), true},
                                     {QStringLiteral("ipMasq"), legacy},
                                     {QStringLiteral("hairpinMode"), true},
                                     {QStringLiteral("ipam"), ipam}}};
    // portmap only where ports are published: each plugin is a process, and a create should not
    // pay for one that has nothing to do. The recorded list undoes it.
    if (!ports.isEmpty())
        plugins.append(portmapPlugin());
    if (legacy)
        plugins.append(QJsonObject {{QStringLiteral("type"), QStringLiteral("firewall")},
                                    {QStringLiteral("backend"), QStringLiteral("iptables")}});
    return {{QStringLiteral("cniVersion"), QStringLiteral("1.0.0")},
            {QStringLiteral("name"), m_cniName},
            {QStringLiteral("plugins"), plugins}};
}

Cni::Call Network::callFor(const Attachment &attachment) const
{
    Cni::Call call;
    // As libcni caches the configuration of an ADD for its DEL: the list the attachment was made with.
    if (!attachment.cniList.isEmpty())
        call.list = attachment.cniList;
    else if (attachment.kind == QLatin1String("vm"))
        call.list = vmList(attachment.ports);
    else
        call.list = cniList(attachment.ports, ListVersion::WithPerAddressRules);
    call.containerId = attachment.name;
    call.netns = attachment.netns;
    call.runtimeConfig = {{QStringLiteral("portMappings"), toCniPortMappings(attachment.ports)}};
    return call;
}

QCoro::Task<Result<Attachment>> Network::attachContainer(QString name, QList<PortMapping> ports)
{
    if (!available())
        co_return ErrorReply {Error::Unsupported,
                              QStringLiteral("the Hamlet network is unavailable (%1): create the container with "
                                             "network \"none\"")
                                  .arg(m_unavailable)};
    if (m_attachments.contains(name))
        co_await detach(name);
    QElapsedTimer timer; // the network's part of a start, in the log (issue 16's target: 15 ms)
    timer.start();
    Attachment attachment;
    attachment.name = name;
    attachment.kind = QStringLiteral("container");
    attachment.netns = netnsPath(name);
    attachment.ports = ports;
    attachment.cniList = cniList(ports);
    // Recorded before anything is made: a crash from here on leaves a record that says what to undo.
    if (Status saved = saveJson(recordPath(name), attachment.toJson()); !saved)
        co_return saved.error();
    m_attachments[name] = attachment;
    if (Status made = createNetns(attachment.netns); !made) {
        QFile::remove(recordPath(name));
        m_attachments.erase(name);
        co_return made.error();
    }
    const Cni::Call call = callFor(attachment);
    const Result<QJsonObject> added = co_await m_cni.add(call);
    if (!added) {
        removeNetns(attachment.netns);
        QFile::remove(recordPath(name));
        m_attachments.erase(name);
        co_return added.error();
    }
    attachment.result = *added;
    const QJsonArray interfaces = added->value(QStringLiteral("interfaces")).toArray();
    for (const QJsonValue &value : interfaces) {
        const QJsonObject interface = value.toObject();
        const QString interfaceName = interface.value(QStringLiteral("name")).toString();
        if (interface.contains(QStringLiteral("sandbox")))
            attachment.mac = interface.value(QStringLiteral("mac")).toString();
        else if (interfaceName != m_options.bridge)
            attachment.hostInterface = interfaceName;
    }
    const QJsonArray ips = added->value(QStringLiteral("ips")).toArray();
    if (!ips.isEmpty())
        attachment.address
            = ips.first().toObject().value(QStringLiteral("address")).toString().section(QLatin1Char('/'), 0, 0);
    m_attachments[name] = attachment;
    if (Status saved = saveJson(recordPath(name), attachment.toJson()); !saved)
        log()->error("{}", saved.error().message);
    const qint64 plugins = timer.elapsed();
    updateDns();
    log()->info("{} attached to {}: {} on {} in {} ms ({}; DNS {} ms)", name, m_cniName, attachment.address,
                attachment.hostInterface, timer.elapsed(), m_cni.lastTimings(), timer.elapsed() - plugins);
    co_return attachment;
}

QCoro::Task<Status> Network::detach(QString name)
{
    const auto found = m_attachments.find(name);
    if (found == m_attachments.end())
        co_return success();
    const Attachment attachment = found->second;
    if (attachment.kind == QLatin1String("vm")) {
        // Releases the address in host-local's store; the reservation goes with updateDns below.
        const Cni::Call call = callFor(attachment);
        if (const Status released = co_await m_cni.del(call, attachment.result); !released)
            log()->warn("releasing the address of {}: {}", name, released.error().message);
    } else if (attachment.kind == QLatin1String("container")) {
        const Cni::Call call = callFor(attachment);
        // Without a namespace the veth is gone already; the plugins still remove rules and address.
        const Status deleted = co_await m_cni.del(call, attachment.result);
        if (!deleted)
            log()->warn("detaching {}: {}", name, deleted.error().message);
        if (Status removed = removeNetns(attachment.netns); !removed)
            log()->warn("{}", removed.error().message);
    }
    QFile::remove(recordPath(name));
    m_attachments.erase(name);
    updateDns();
    log()->info("{} detached from {}", name, m_cniName);
    co_return success();
}

QCoro::Task<> Network::reconcile(QString kind, QSet<QString> keep)
{
    QStringList gone;
    for (const auto &[name, attachment] : m_attachments) {
        if (attachment.kind == kind && !keep.contains(name))
            gone << name;
    }
    for (const QString &name : std::as_const(gone)) {
        log()->info("removing the network of {}: it no longer runs", name);
        co_await detach(name);
    }
    if (kind == QLatin1String("vm"))
        co_await restoreVmPorts();
    // A namespace file no record owns (a crash between its mount and the record) goes too.
    if (kind == QLatin1String("container")) {
        for (const QString &file : QDir(m_options.runDir).entryList(QDir::Files)) {
            if (!m_attachments.contains(file)) {
                log()->info("removing the orphan network namespace {}", file);
                removeNetns(netnsPath(file));
            }
        }
    }
}

std::optional<Attachment> Network::attachment(const QString &name) const
{
    const auto found = m_attachments.find(name);
    if (found == m_attachments.end())
        return std::nullopt;
    return found->second;
}

std::optional<NetCounters> Network::counters(const QString &name) const
{
    const auto found = m_attachments.find(name);
    if (found == m_attachments.end() || found->second.hostInterface.isEmpty()
        || !interfaceExists(found->second.hostInterface))
        return std::nullopt;
    // The host end sees the instance's traffic mirrored: what it sends, the instance received.
    const QString &interface = found->second.hostInterface;
    return NetCounters {readCounter(interface, "tx_bytes"), readCounter(interface, "rx_bytes")};
}

QByteArray Network::hostsFileFor(const QString &name, const QString &hostname) const
{
    QByteArray text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
    if (const std::optional<Attachment> own = attachment(name); own && !own->address.isEmpty())
        text += QStringLiteral("%1\t%2 %2.%3\n").arg(own->address, hostname, domain()).toUtf8();
    return text;
}

QByteArray Network::resolvConf() const
{
    // dnsmasq on the bridge knows every instance and forwards the rest to the host's resolvers.
    return QStringLiteral("search %1\nnameserver %2\n").arg(domain(), gateway()).toUtf8();
}

void Network::updateDns()
{
    if (!m_dnsmasq)
        return;
    Dnsmasq::Hosts hosts;
    Dnsmasq::Reservations reservations;
    for (const auto &[name, attachment] : m_attachments) {
        if (attachment.address.isEmpty())
            continue;
        hosts << qMakePair(name, attachment.address);
        if (attachment.kind == QLatin1String("vm") && !attachment.mac.isEmpty())
            reservations << qMakePair(attachment.mac, attachment.address);
    }
    if (Status updated = m_dnsmasq->update(hosts, reservations); !updated)
        log()->error("{}", updated.error().message);
}

} // namespace Hamlet::Network
