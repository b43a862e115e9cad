#include "instancelistmodel.h"

#include "formatting.h"
#include "kindicons.h"

#include <QDBusArgument>
#include <QDBusMetaType>
#include <QDateTime>

#include <ctime>

namespace Hamlet {

namespace {
QString stateText(const InstanceListModel::Instance &instance)
{
    if (instance.state == QLatin1String("stopped") && instance.exitCode >= 0)
        return InstanceListModel::tr("stopped (exit %1)").arg(instance.exitCode);
    if (instance.state == QLatin1String("restarting")) {
        const qint64 span = instance.firstRestartAtMs == 0
            ? -1
            : QDateTime::currentMSecsSinceEpoch() - static_cast<qint64>(instance.firstRestartAtMs);
        return Format::restarting(instance.restartCount + 1, span);
    }
    if (instance.state == QLatin1String("running") || instance.state == QLatin1String("paused"))
        return Format::restartedRunning(instance.state, instance.restartCount);
    return instance.state;
}

QVariant optionalRate(const std::optional<double> &rate)
{
    return rate ? QVariant(*rate) : QVariant();
}

QString trafficText(const StatPoint &point)
{
    if (!point.netRxBytesPerSecond || !point.netTxBytesPerSecond)
        return InstanceListModel::tr("unknown");
    return QStringLiteral("↓%1\n↑%2")
        .arg(Format::byteRate(*point.netRxBytesPerSecond), Format::byteRate(*point.netTxBytesPerSecond));
}
} // namespace

QString InstanceListModel::addressOnly(const Instance &instance)
{
    const bool up = instance.state == QLatin1String("running") || instance.state == QLatin1String("paused");
    if (instance.network == QLatin1String("none"))
        return tr("no network");
    if (instance.network == QLatin1String("host"))
        return tr("this computer's");
    if (!up)
        return QString(); // not running: no address to have
    if (!instance.addresses)
        return tr("unknown");
    if (instance.addresses->isEmpty())
        return instance.network.isEmpty() ? tr("unknown") : tr("unknown (none reported)");
    return instance.addresses->join(QStringLiteral(", "));
}

QString InstanceListModel::addressText(const Instance &instance)
{
    QString text = addressOnly(instance);
    QStringList ports;
    for (const PublishedPort &port : instance.ports)
        ports << port.label();
    if (!ports.isEmpty())
        text += (text.isEmpty() ? QString() : QStringLiteral("  ")) + ports.join(QStringLiteral("  "));
    return text;
}

InstanceListModel::InstanceListModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int InstanceListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int InstanceListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant InstanceListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Name");
    case StateColumn:
        return tr("State");
    case CpuColumn:
        return tr("CPU");
    case MemoryColumn:
        return tr("Memory");
    case AddressColumn:
        return tr("Address");
    case NetworkColumn:
        return tr("Network");
    default:
        return {};
    }
}

QVariant InstanceListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Instance &row = m_rows.at(index.row());
    const InstanceHistory *history = m_stats.history(row.name);
    const std::optional<StatPoint> latestPoint = history ? history->latest() : std::nullopt;
    const StatPoint latest = latestPoint.value_or(StatPoint {});
    const bool live = latestPoint && (row.state == QLatin1String("running") || row.state == QLatin1String("paused"));
    switch (role) {
    case NameRole:
        return row.name;
    case KindRole:
        return row.kind;
    case StateRole:
        return row.state;
    case SpecRole:
        return row.spec;
    case ErrorRole:
        return row.error;
    case ExitCodeRole:
        return row.exitCode;
    case CpuPercentRole:
        return latest.cpuPercent;
    case CpuLimitRole:
        return row.cpuLimitCores;
    case MemoryBytesRole:
        return latest.memoryBytes;
    case MemoryLimitRole:
        return row.memoryLimitBytes;
    case HasStatsRole:
        return live;
    case NetRxRateRole:
        return optionalRate(latest.netRxBytesPerSecond);
    case NetTxRateRole:
        return optionalRate(latest.netTxBytesPerSecond);
    case Qt::DecorationRole:
        return index.column() == NameColumn ? QVariant(KindIcons::forKind(row.kind)) : QVariant();
    case Qt::ToolTipRole:
        if (index.column() == StateColumn && !row.error.isEmpty())
            return row.error;
        if (index.column() == NetworkColumn && live && (!latest.netRxBytesPerSecond || !latest.netTxBytesPerSecond))
            return tr("Traffic unknown: the helper measures it only for instances on the Hamlet (NAT) network.");
        if (index.column() == AddressColumn && !row.ports.isEmpty())
            return tr("Click a port to open it in the browser.");
        if (index.column() == NameColumn)
            return row.kind == QLatin1String("vm") ? tr("%1: a virtual machine (house)").arg(row.name)
                                                   : tr("%1: a container (apartment)").arg(row.name);
        return {};
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return row.name;
        case StateColumn:
            return stateText(row);
        case CpuColumn:
            return live ? Format::percent(latest.cpuPercent) : QString();
        case MemoryColumn:
            return live ? Format::memoryOf(latest.memoryBytes, row.memoryLimitBytes) : QString();
        case AddressColumn:
            return addressText(row);
        case NetworkColumn:
            return live ? trafficText(latest) : QString();
        default:
            return {};
        }
    default:
        return {};
    }
}

void InstanceListModel::reset(const InstanceSummaryList &instances)
{
    beginResetModel();
    QHash<QString, Instance> previous;
    for (const Instance &row : std::as_const(m_rows))
        previous.insert(row.name, row);
    m_rows.clear();
    for (const InstanceSummary &summary : instances) {
        Instance row = previous.value(summary.name);
        row.name = summary.name;
        row.kind = summary.kind;
        row.state = summary.state;
        m_rows << row;
        previous.remove(summary.name);
    }
    for (auto it = previous.cbegin(); it != previous.cend(); ++it)
        m_stats.forget(it.key());
    rebuildIndex();
    endResetModel();
    Q_EMIT countsChanged();
}

void InstanceListModel::addInstance(const QString &name, const QString &kind, const QString &state)
{
    if (m_rowOf.contains(name))
        return;
    const int row = static_cast<int>(m_rows.size());
    beginInsertRows({}, row, row);
    m_rows << Instance {name, kind, state, {}, {}, -1, 0, 0, 0, std::nullopt, {}, {}};
    m_rowOf.insert(name, row);
    endInsertRows();
    Q_EMIT countsChanged();
}

void InstanceListModel::removeInstance(const QString &name)
{
    const int row = rowOf(name);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    rebuildIndex();
    endRemoveRows();
    m_stats.forget(name);
    Q_EMIT countsChanged();
}

void InstanceListModel::updateProperties(const QString &name, const QVariantMap &properties)
{
    const int row = rowOf(name);
    if (row < 0)
        return;
    Instance &instance = m_rows[row];
    const QString before = instance.state;
    if (const auto it = properties.constFind(QStringLiteral("State")); it != properties.cend())
        instance.state = it->toString();
    if (const auto it = properties.constFind(QStringLiteral("Kind")); it != properties.cend())
        instance.kind = it->toString();
    if (const auto it = properties.constFind(QStringLiteral("ExitCode")); it != properties.cend())
        instance.exitCode = it->toInt();
    if (const auto it = properties.constFind(QStringLiteral("Error")); it != properties.cend())
        instance.error = it->toString();
    if (const auto it = properties.constFind(QStringLiteral("Addresses")); it != properties.cend())
        instance.addresses = it->toStringList();
    if (const auto it = properties.constFind(QStringLiteral("Owner")); it != properties.cend())
        instance.ownerUid = it->toUInt();
    if (const auto it = properties.constFind(QStringLiteral("OwnerRecorded")); it != properties.cend())
        instance.ownerRecorded = it->toBool();
    if (const auto it = properties.constFind(QStringLiteral("RestartCount")); it != properties.cend())
        instance.restartCount = it->toInt();
    if (const auto it = properties.constFind(QStringLiteral("FirstRestartAt")); it != properties.cend())
        instance.firstRestartAtMs = it->toULongLong();
    if (const auto it = properties.constFind(QStringLiteral("Spec")); it != properties.cend()) {
        // Nested in a{sv}, the a{sv} spec arrives as a QDBusArgument.
        instance.spec = it->userType() == qMetaTypeId<QDBusArgument>() ? qdbus_cast<QVariantMap>(*it) : it->toMap();
        if (instance.cpuLimitCores == 0)
            instance.cpuLimitCores
                = instance.spec.value(QStringLiteral("cpus"), instance.spec.value(QStringLiteral("vcpus"))).toDouble();
        if (instance.memoryLimitBytes == 0)
            instance.memoryLimitBytes = instance.spec.value(QStringLiteral("memory")).toULongLong();
        if (instance.pidsLimit == 0)
            instance.pidsLimit = instance.spec.value(QStringLiteral("pids")).toULongLong();
        instance.network = instance.spec.value(QStringLiteral("network")).toString();
        instance.ports = PublishedPorts::fromSpec(instance.spec.value(QStringLiteral("ports")));
    }
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    if (before != instance.state)
        Q_EMIT stateChanged(name, before, instance.state);
}

QStringList InstanceListModel::addSamples(qulonglong monotonicNs, const SampleBatch &batch)
{
    for (const SampleEntry &entry : batch) {
        const int row = rowOf(entry.name);
        if (row < 0)
            continue;
        Instance &instance = m_rows[row];
        instance.cpuLimitCores = entry.values.value(QStringLiteral("cpuLimitCores")).toDouble();
        instance.memoryLimitBytes = entry.values.value(QStringLiteral("memoryLimitBytes")).toULongLong();
        if (const auto pids = entry.values.constFind(QStringLiteral("pidsLimit")); pids != entry.values.cend())
            instance.pidsLimit = pids->toULongLong();
    }
    const QStringList updated = m_stats.addBatch(monotonicNs, batch);
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, CpuColumn), index(static_cast<int>(m_rows.size()) - 1, NetworkColumn),
                           {Qt::DisplayRole, CpuPercentRole, MemoryBytesRole, NetRxRateRole, NetTxRateRole});
    if (!updated.isEmpty())
        Q_EMIT samplesAdded(updated);
    return updated;
}

void InstanceListModel::seedHistory(const QString &name, const HistoryData &history)
{
    const Instance *row = instance(name);
    if (!row)
        return;
    timespec monotonic {};
    clock_gettime(CLOCK_MONOTONIC, &monotonic); // the clock of Samples' timestamps
    const qint64 wallNowNs = QDateTime::currentMSecsSinceEpoch() * 1'000'000;
    const qulonglong monotonicNowNs = qulonglong(monotonic.tv_sec) * 1'000'000'000ULL + qulonglong(monotonic.tv_nsec);
    m_stats.seed(name, statPointsFrom(history, wallNowNs, monotonicNowNs, row->cpuLimitCores));
    Q_EMIT samplesAdded({name});
}

int InstanceListModel::rowOf(const QString &name) const
{
    return m_rowOf.value(name, -1);
}

const InstanceListModel::Instance *InstanceListModel::instance(const QString &name) const
{
    const int row = rowOf(name);
    return row < 0 ? nullptr : &m_rows.at(row);
}

QStringList InstanceListModel::names() const
{
    QStringList result;
    for (const Instance &row : m_rows)
        result << row.name;
    return result;
}

int InstanceListModel::count(const QString &kind) const
{
    if (kind.isEmpty())
        return static_cast<int>(m_rows.size());
    return static_cast<int>(
        std::count_if(m_rows.cbegin(), m_rows.cend(), [&kind](const Instance &row) { return row.kind == kind; }));
}

void InstanceListModel::rebuildIndex()
{
    m_rowOf.clear();
    for (int i = 0; i < m_rows.size(); ++i)
        m_rowOf.insert(m_rows.at(i).name, i);
}

} // namespace Hamlet
