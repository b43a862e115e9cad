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
        return true;
    }();
    Q_UNUSED(registered);
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
