#pragma once

#include <optional>

#include "dbustypes.h"
#include "instancehistory.h"
#include "publishedports.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QVariantMap>

namespace Hamlet {

// Every instance the helper knows, one row each, with its live numbers. It is fed from outside
// (InstanceFeed: ListInstances, InstanceAdded/Removed, PropertiesChanged, Samples) and keeps the
// bounded history of each instance, so the views only read. One Samples tick is one dataChanged
// over the CPU, memory and network columns, whatever the number of rows. Addresses are read with
// the other properties (the feed reads them again when the state changes): until then they are
// unknown, which the Address column says.
class InstanceListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, StateColumn, AddressColumn, CpuColumn, MemoryColumn, NetworkColumn, ColumnCount };
    enum Role {
        NameRole = Qt::UserRole + 1,
        KindRole,
        StateRole,
        SpecRole,
        ErrorRole,
        ExitCodeRole,
        CpuPercentRole, // of one core, latest point
        CpuLimitRole, // cores, 0: none
        MemoryBytesRole,
        MemoryLimitRole, // bytes, 0: none
        HasStatsRole,
        NetRxRateRole, // bytes/s, latest point; invalid QVariant when not measured
        NetTxRateRole,
    };

    struct Instance {
        QString name;
        QString kind;
        QString state;
        QVariantMap spec;
        QString error;
        int exitCode = -1;
        double cpuLimitCores = 0;
        qulonglong memoryLimitBytes = 0;
        qulonglong pidsLimit = 0; // 0: not reported (the helper always sets one for containers)
        std::optional<QStringList> addresses; // nothing until the helper said (Addresses property)
        QString network; // the spec's "network" ("nat", "none", "host"); empty: not said
        QList<PublishedPort> ports; // the spec's published ports
        // Who created it (Instance1.Owner); unknown until the properties arrive.
        std::optional<uint> ownerUid;
        bool ownerRecorded = false;
        // The restart policy's restarts in a row, when the first was (ms since the epoch, 0 none).
        int restartCount = 0;
        qulonglong firstRestartAtMs = 0;
    };
    // The Address cell's text: addresses (or why there are none, or "unknown") and the ports.
    static QString addressText(const Instance &instance);
    static QString addressOnly(const Instance &instance);

    explicit InstanceListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Replaces every row with what ListInstances returned (histories of known names are kept).
    void reset(const InstanceSummaryList &instances);
    void addInstance(const QString &name, const QString &kind, const QString &state);
    void removeInstance(const QString &name);
    // Applies Instance1 properties (all of GetAll, or a PropertiesChanged subset).
    void updateProperties(const QString &name, const QVariantMap &properties);
    // One Samples tick; returns the names that gained a point.
    QStringList addSamples(qulonglong monotonicNs, const SampleBatch &batch);
    // The helper's recorded 1 s points (GetHistory) before the live ones, so charts open full
    // after a restart of the window or the helper. Emits samplesAdded.
    void seedHistory(const QString &name, const HistoryData &history);

    int rowOf(const QString &name) const;
    const Instance *instance(const QString &name) const;
    QStringList names() const;
    int count(const QString &kind = {}) const;
    const StatsStore &stats() const { return m_stats; }

Q_SIGNALS:
    void countsChanged();
    // The state of an instance changed (not on first sight).
    void stateChanged(const QString &name, const QString &from, const QString &to);
    // New points arrived for these instances.
    void samplesAdded(const QStringList &names);

private:
    void rebuildIndex();

    QList<Instance> m_rows;
    QHash<QString, int> m_rowOf;
    StatsStore m_stats;
};

} // namespace Hamlet
