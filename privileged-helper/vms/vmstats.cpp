#include "vmstats.h"

#include "vmstate.h"

namespace Hamlet::Vms {

VmSample sampleFromParameters(const QString &name, virTypedParameterPtr parameters, int count)
{
    VmSample sample;
    sample.name = name;
    unsigned long long value = 0;
    int state = VIR_DOMAIN_NOSTATE;
    int reason = 0;
    virTypedParamsGetInt(parameters, count, "state.state", &state);
    virTypedParamsGetInt(parameters, count, "state.reason", &reason);
    sample.state = VmState::fromDomainState(state, reason);
    if (virTypedParamsGetULLong(parameters, count, "cpu.time", &value) == 1)
        sample.cpuNs = value;
    unsigned int vcpus = 0;
    if (virTypedParamsGetUInt(parameters, count, "vcpu.current", &vcpus) == 1)
        sample.vcpus = vcpus;
    // Balloon figures are in KiB.
    unsigned long long current = 0, rss = 0, available = 0, unused = 0;
    const bool hasCurrent = virTypedParamsGetULLong(parameters, count, "balloon.current", &current) == 1;
    const bool hasRss = virTypedParamsGetULLong(parameters, count, "balloon.rss", &rss) == 1;
    const bool hasAvailable = virTypedParamsGetULLong(parameters, count, "balloon.available", &available) == 1;
    const bool hasUnused = virTypedParamsGetULLong(parameters, count, "balloon.unused", &unused) == 1;
    if (hasCurrent)
        sample.memoryLimitBytes = current * 1024;
    if (hasAvailable && hasUnused && available >= unused)
        sample.guestUsedBytes = (available - unused) * 1024;
    if (hasRss && rss > 0)
        sample.memoryBytes = rss * 1024;
    else if (sample.guestUsedBytes > 0)
        sample.memoryBytes = sample.guestUsedBytes;
    else
        sample.memoryBytes = sample.memoryLimitBytes;
    unsigned int nics = 0;
    virTypedParamsGetUInt(parameters, count, "net.count", &nics);
    bool complete = nics > 0;
    quint64 rx = 0, tx = 0;
    for (unsigned int i = 0; i < nics && complete; ++i) {
        unsigned long long received = 0, sent = 0;
        const QByteArray prefix = "net." + QByteArray::number(i);
        complete = virTypedParamsGetULLong(parameters, count, prefix + ".rx.bytes", &received) == 1
            && virTypedParamsGetULLong(parameters, count, prefix + ".tx.bytes", &sent) == 1;
        rx += received;
        tx += sent;
    }
    if (complete) {
        sample.netRxBytes = rx;
        sample.netTxBytes = tx;
    }
    return sample;
}

QList<VmSample> samplesFromStatsRecords(virDomainStatsRecordPtr *records, int count)
{
    QList<VmSample> samples;
    samples.reserve(count);
    for (int i = 0; i < count; ++i) {
        const virDomainStatsRecordPtr record = records[i];
        samples.append(
            sampleFromParameters(QString::fromUtf8(virDomainGetName(record->dom)), record->params, record->nparams));
    }
    return samples;
}

} // namespace Hamlet::Vms
