#pragma once

#include <QDBusArgument>
#include <QDBusObjectPath>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QVariantMap>

// Structured D-Bus types of the contract, with their marshalling. Call registerDBusTypes() once
// before using a proxy or adaptor.
namespace Hamlet {

// One row of ListInstances: a(ssso).
struct InstanceSummary {
    QString name;
    QString kind;
    QString state;
    QDBusObjectPath path;

    friend bool operator==(const InstanceSummary &, const InstanceSummary &) = default;
};
using InstanceSummaryList = QList<InstanceSummary>;

// One entry of a Samples batch: (sa{sv}).
struct SampleEntry {
    QString name;
    QVariantMap values;
};
using SampleBatch = QList<SampleEntry>;

// One series of GetHistory: (sadadad) name, min, mean, max, one value per point (NaN: not
// measured at that point); min and max are empty when each point is a single sample.
struct HistorySeries {
    QString name;
    QList<double> min;
    QList<double> mean;
    QList<double> max;
};
using HistorySeriesList = QList<HistorySeries>;
using TimeList = QList<qlonglong>; // ax

// What GetHistory answers: stepNs, one time per point (Unix ns), the measured series.
struct HistoryData {
    qlonglong stepNs = 0;
    TimeList timesNs;
    HistorySeriesList series;

    // nullptr: not measured in this window.
    const HistorySeries *find(const QString &name) const
    {
        for (const HistorySeries &one : series)
            if (one.name == name)
                return &one;
        return nullptr;
    }
};

// aa{sv}: ListImages, Job1.Layers.
using VariantMapList = QList<QVariantMap>;

void registerDBusTypes();

// Values nested in an a{sv} arrive as QDBusArgument (or QDBusVariant): this gives plain QVariants
// back, all the way down (maps as QVariantMap, string arrays as QStringList, other arrays and
// structures as QVariantList), so a reader never has to know the wire signature.
QVariant plainDBusValue(const QVariant &value);

} // namespace Hamlet

QDBusArgument &operator<<(QDBusArgument &argument, const Hamlet::InstanceSummary &summary);
const QDBusArgument &operator>>(const QDBusArgument &argument, Hamlet::InstanceSummary &summary);
QDBusArgument &operator<<(QDBusArgument &argument, const Hamlet::SampleEntry &entry);
const QDBusArgument &operator>>(const QDBusArgument &argument, Hamlet::SampleEntry &entry);

Q_DECLARE_METATYPE(Hamlet::InstanceSummary)
QDBusArgument &operator<<(QDBusArgument &argument, const Hamlet::HistorySeries &series);
const QDBusArgument &operator>>(const QDBusArgument &argument, Hamlet::HistorySeries &series);

Q_DECLARE_METATYPE(Hamlet::SampleEntry)
Q_DECLARE_METATYPE(Hamlet::HistorySeries)
