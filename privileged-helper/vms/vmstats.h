#pragma once

#include <QList>
#include <QString>

#include <libvirt/libvirt.h>
#include <optional>

namespace Hamlet::Vms {

// One VM in one sampler tick. Counters are cumulative; core turns them into rates.
struct VmSample {
    QString name;
    QString state; // a VmState
    quint64 cpuNs = 0; // cpu.time: all of QEMU's CPU time (vCPUs and emulation), as cgroups count
    // What the VM costs the host in memory: the QEMU process's resident set (balloon.rss), the
    // same kind of figure as a container's cgroup memory. Falls back to the guest's own view
    // (balloon.available - balloon.unused) and then to balloon.current when libvirt lacks it.
    quint64 memoryBytes = 0;
    quint64 memoryLimitBytes = 0; // balloon.current: memory the guest is given
    quint64 guestUsedBytes = 0; // available - unused, when the guest's balloon driver reports
    uint vcpus = 0; // vcpu.current
    // Bytes all NICs received and sent (net.N.rx.bytes, tx.bytes, summed): unset without a NIC,
    // or when libvirt could not read them, never 0 in their place.
    std::optional<quint64> netRxBytes;
    std::optional<quint64> netTxBytes;
};

// From the records of one virConnectGetAllDomainStats call.
QList<VmSample> samplesFromStatsRecords(virDomainStatsRecordPtr *records, int count);

// From one record's typed parameters (the part that needs no libvirt connection, for tests).
VmSample sampleFromParameters(const QString &name, virTypedParameterPtr parameters, int count);

} // namespace Hamlet::Vms
