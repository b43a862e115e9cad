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
Q_DECLARE_METATYPE(Hamlet::SampleEntry)
