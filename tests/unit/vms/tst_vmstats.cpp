#include "vmstate.h"
#include "vmstats.h"

#include <QTest>

using namespace Hamlet::Vms;

// libvirt's states, events and bulk statistics turned into what Hamlet shows and samples.
class TestVmStats : public QObject
{
    Q_OBJECT

    // Typed parameters as virConnectGetAllDomainStats returns them.
    struct Parameters {
        virTypedParameterPtr list = nullptr;
        int count = 0;
        int capacity = 0;
        ~Parameters() { virTypedParamsFree(list, count); }
        void addInt(const char *name, int value) { virTypedParamsAddInt(&list, &count, &capacity, name, value); }
        void addUInt(const char *name, unsigned value) { virTypedParamsAddUInt(&list, &count, &capacity, name, value); }
        void addULLong(const char *name, unsigned long long value)
        {
            virTypedParamsAddULLong(&list, &count, &capacity, name, value);
        }
    };

private Q_SLOTS:
    void initTestCase() { QCOMPARE(virInitialize(), 0); } // libvirt's per-thread error state

    void domainState_mapsToFourStates()
    {
        QCOMPARE(VmState::fromDomainState(VIR_DOMAIN_RUNNING, 0), VmState::Running);
        QCOMPARE(VmState::fromDomainState(VIR_DOMAIN_BLOCKED, 0), VmState::Running);
        QCOMPARE(VmState::fromDomainState(VIR_DOMAIN_PAUSED, 0), VmState::Paused);
        QCOMPARE(VmState::fromDomainState(VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SHUTDOWN), VmState::Stopped);
        QCOMPARE(VmState::fromDomainState(VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED), VmState::Stopped);
        QCOMPARE(VmState::fromDomainState(VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FAILED), VmState::Failed);
        QCOMPARE(VmState::fromDomainState(VIR_DOMAIN_CRASHED, 0), VmState::Failed);
        // A guest that powered off while libvirt still tears QEMU down is already off.
        QCOMPARE(VmState::fromDomainState(VIR_DOMAIN_SHUTDOWN, 0), VmState::Stopped);
        QCOMPARE(VmState::fromDomainState(VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_SHUTTING_DOWN), VmState::Stopped);
    }

    void lifecycleEvents_changeStateOnlyWhenTheVmDoes()
    {
        QCOMPARE(VmState::fromLifecycleEvent(VIR_DOMAIN_EVENT_STARTED, 0), VmState::Running);
        QCOMPARE(VmState::fromLifecycleEvent(VIR_DOMAIN_EVENT_SUSPENDED, 0), VmState::Paused);
        QCOMPARE(VmState::fromLifecycleEvent(VIR_DOMAIN_EVENT_RESUMED, 0), VmState::Running);
        QCOMPARE(VmState::fromLifecycleEvent(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN),
                 VmState::Stopped);
        QCOMPARE(VmState::fromLifecycleEvent(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FAILED),
                 VmState::Failed);
        QCOMPARE(VmState::fromLifecycleEvent(VIR_DOMAIN_EVENT_DEFINED, 0), std::nullopt);
        QCOMPARE(VmState::fromLifecycleEvent(VIR_DOMAIN_EVENT_UNDEFINED, 0), std::nullopt);
        // The guest powered off; libvirt's STOPPED follows about a second later.
        QCOMPARE(VmState::fromLifecycleEvent(VIR_DOMAIN_EVENT_SHUTDOWN, VIR_DOMAIN_EVENT_SHUTDOWN_GUEST),
                 VmState::Stopped);
    }

    void sample_prefersQemuRssForMemory()
    {
        Parameters p;
        p.addInt("state.state", VIR_DOMAIN_RUNNING);
        p.addInt("state.reason", 1);
        p.addULLong("cpu.time", 2500000000ULL);
        p.addULLong("balloon.current", 131072);
        p.addULLong("balloon.rss", 65536);
        p.addULLong("balloon.available", 120000);
        p.addULLong("balloon.unused", 100000);
        p.addUInt("vcpu.current", 2);
        const VmSample sample = sampleFromParameters(QStringLiteral("vm1"), p.list, p.count);
        QCOMPARE(sample.name, QStringLiteral("vm1"));
        QCOMPARE(sample.state, VmState::Running);
        QCOMPARE(sample.cpuNs, 2500000000ULL);
        QCOMPARE(sample.memoryBytes, 65536ULL * 1024);
        QCOMPARE(sample.memoryLimitBytes, 131072ULL * 1024);
        QCOMPARE(sample.guestUsedBytes, 20000ULL * 1024);
        QCOMPARE(sample.vcpus, 2u);
    }

    void sample_sumsTheNicsBytes_andLeavesThemUnknownWithoutANic()
    {
        Parameters p;
        p.addUInt("net.count", 2);
        p.addULLong("net.0.rx.bytes", 1000);
        p.addULLong("net.0.tx.bytes", 300);
        p.addULLong("net.1.rx.bytes", 20);
        p.addULLong("net.1.tx.bytes", 4);
        const VmSample two = sampleFromParameters(QStringLiteral("vm1"), p.list, p.count);
        QCOMPARE(two.netRxBytes, std::optional<quint64>(1020));
        QCOMPARE(two.netTxBytes, std::optional<quint64>(304));
        Parameters none;
        none.addUInt("net.count", 0);
        QVERIFY(!sampleFromParameters(QStringLiteral("vm2"), none.list, none.count).netRxBytes);
        Parameters partial; // a NIC whose counters libvirt could not read: unknown, not a smaller sum
        partial.addUInt("net.count", 1);
        partial.addULLong("net.0.rx.bytes", 5);
        QVERIFY(!sampleFromParameters(QStringLiteral("vm3"), partial.list, partial.count).netTxBytes);
    }

    void sample_withoutRss_fallsBackToGuestThenBalloon()
    {
        Parameters guest;
        guest.addULLong("balloon.current", 131072);
        guest.addULLong("balloon.available", 120000);
        guest.addULLong("balloon.unused", 100000);
        QCOMPARE(sampleFromParameters(QStringLiteral("a"), guest.list, guest.count).memoryBytes, 20000ULL * 1024);
        Parameters balloonOnly;
        balloonOnly.addULLong("balloon.current", 131072);
        QCOMPARE(sampleFromParameters(QStringLiteral("b"), balloonOnly.list, balloonOnly.count).memoryBytes,
                 131072ULL * 1024);
    }

    void sample_ofAPausedVm_isPaused()
    {
        Parameters p;
        p.addInt("state.state", VIR_DOMAIN_PAUSED);
        QCOMPARE(sampleFromParameters(QStringLiteral("p"), p.list, p.count).state, VmState::Paused);
    }
};

QTEST_GUILESS_MAIN(TestVmStats)
#include "tst_vmstats.moc"
