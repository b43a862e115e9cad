#include "dbustypes.h"

#include <QDBusMetaType>

namespace Hamlet {

void registerDBusTypes()
{
    static const bool registered = [] {
        qDBusRegisterMetaType<InstanceSummary>();
        qDBusRegisterMetaType<InstanceSummaryList>();
        qDBusRegisterMetaType<SampleEntry>();
        qDBusRegisterMetaType<SampleBatch>();
        qDBusRegisterMetaType<VariantMapList>();
        qDBusRegisterMetaType<HistorySeries>();
        qDBusRegisterMetaType<HistorySeriesList>();
        qDBusRegisterMetaType<TimeList>();
        // Out-arguments of adaptor slots are looked up by the name the slot spells: the aliases
        // must be known by name too (GetHistory).
        qRegisterMetaType<TimeList>("Hamlet::TimeList");
        qRegisterMetaType<HistorySeriesList>("Hamlet::HistorySeriesList");
        return true;
    }();
    Q_UNUSED(registered);
}

namespace {

QVariant readArgument(const QDBusArgument &argument)
{
    switch (argument.currentType()) {
    case QDBusArgument::MapType: {
        QVariantMap map;
        argument.beginMap();
        while (!argument.atEnd()) {
            argument.beginMapEntry();
            const QVariant key = plainDBusValue(argument.asVariant());
            const QVariant value = plainDBusValue(argument.asVariant());
            argument.endMapEntry();
            map.insert(key.toString(), value);
        }
        argument.endMap();
        return map;
    }
    case QDBusArgument::ArrayType: {
        const bool strings = argument.currentSignature() == QLatin1String("as");
        QVariantList list;
        argument.beginArray();
        while (!argument.atEnd())
            list << plainDBusValue(argument.asVariant());
        argument.endArray();
        return strings ? QVariant(QVariant(list).toStringList()) : QVariant(list);
    }
    case QDBusArgument::StructureType: {
        QVariantList fields;
        argument.beginStructure();
        while (!argument.atEnd())
            fields << plainDBusValue(argument.asVariant());
        argument.endStructure();
        return fields;
    }
    default:
        return plainDBusValue(argument.asVariant());
    }
}

} // namespace

QVariant plainDBusValue(const QVariant &value)
{
    if (value.userType() == qMetaTypeId<QDBusVariant>())
        return plainDBusValue(value.value<QDBusVariant>().variant());
    if (value.userType() == qMetaTypeId<QDBusArgument>())
        return readArgument(value.value<QDBusArgument>());
    if (value.typeId() == QMetaType::QVariantMap) {
        QVariantMap map = value.toMap();
        for (auto it = map.begin(); it != map.end(); ++it)
            *it = plainDBusValue(*it);
        return map;
    }
    if (value.typeId() == QMetaType::QVariantList) {
        QVariantList list = value.toList();
        for (QVariant &item : list)
            item = plainDBusValue(item);
        return list;
    }
    return value;
}

} // namespace Hamlet

QDBusArgument &operator<<(QDBusArgument &argument, const Hamlet::InstanceSummary &summary)
{
    argument.beginStructure();
    argument << summary.name << summary.kind << summary.state << summary.path;
    argument.endStructure();
    return argument;
}

const QDBusArgument &operator>>(const QDBusArgument &argument, Hamlet::InstanceSummary &summary)
{
    argument.beginStructure();
    argument >> summary.name >> summary.kind >> summary.state >> summary.path;
    argument.endStructure();
    return argument;
}

QDBusArgument &operator<<(QDBusArgument &argument, const Hamlet::SampleEntry &entry)
{
    argument.beginStructure();
    argument << entry.name << entry.values;
    argument.endStructure();
    return argument;
}

const QDBusArgument &operator>>(const QDBusArgument &argument, Hamlet::SampleEntry &entry)
{
    argument.beginStructure();
    argument >> entry.name >> entry.values;
    argument.endStructure();
    return argument;
}

QDBusArgument &operator<<(QDBusArgument &argument, const Hamlet::HistorySeries &series)
{
    argument.beginStructure();
    argument << series.name << series.min << series.mean << series.max;
    argument.endStructure();
    return argument;
}

const QDBusArgument &operator>>(const QDBusArgument &argument, Hamlet::HistorySeries &series)
{
    argument.beginStructure();
    argument >> series.name >> series.min >> series.mean >> series.max;
    argument.endStructure();
    return argument;
}
