#include "ociconfig.h"
#include "seccompprofile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <sys/resource.h>

using namespace Hamlet::Containers;

namespace {

ContainerSpec webSpec()
{
    ContainerSpec spec;
    spec.name = QStringLiteral("web1");
    spec.image = QStringLiteral("busybox");
    spec.command = {QStringLiteral("sleep"), QStringLiteral("3600")};
    spec.cpus = 0.5;
    spec.memory = 64ull * 1024 * 1024;
    spec.pids = 64;
    return spec;
}

ImageConfig busyboxImage()
{
    ImageConfig image;
    image.cmd = {QStringLiteral("/bin/sh")};
    image.env = {QStringLiteral("PATH=/bin:/usr/bin")};
    return image;
}

OciConfig::HostFacts hostFacts(const QString &cgroupVersion = QStringLiteral("hybrid"))
{
    OciConfig::HostFacts facts;
    facts.cgroupVersion = cgroupVersion;
    facts.cgroupsPath = QStringLiteral("/hamlet/web1");
    facts.nofileHardLimit = 20000;
    return facts;
}

QJsonObject buildOrFail(const ContainerSpec &spec, const ImageConfig &image, const OciConfig::HostFacts &facts)
{
    const auto config = OciConfig::build(spec, image, facts);
    if (!config)
        qFatal("build failed: %s", qPrintable(config.error().message));
    return *config;
}

QStringList strings(const QJsonValue &value)
{
    QStringList list;
    for (const QJsonValue &item : value.toArray())
        list << item.toString();
    return list;
}

QStringList namespaceTypes(const QJsonObject &config)
{
    QStringList types;
    for (const QJsonValue &ns : config[QStringLiteral("linux")][QStringLiteral("namespaces")].toArray())
        types << ns[QStringLiteral("type")].toString();
    return types;
}

QJsonObject mountAt(const QJsonObject &config, const QString &destination)
{
    for (const QJsonValue &mount : config[QStringLiteral("mounts")].toArray()) {
        if (mount[QStringLiteral("destination")].toString() == destination)
            return mount.toObject();
    }
    return {};
}

// The OCI rules whose names include syscall, in order.
QList<QJsonObject> rulesFor(const QJsonObject &seccomp, const QString &syscall)
{
    QList<QJsonObject> rules;
    for (const QJsonValue &rule : seccomp[QStringLiteral("syscalls")].toArray()) {
        if (strings(rule[QStringLiteral("names")]).contains(syscall))
            rules << rule.toObject();
    }
    return rules;
}

} // namespace

class TestOciConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void build_setsMemoryLimitInBytes()
    {
        const QJsonObject config = buildOrFail(webSpec(), busyboxImage(), hostFacts());
        const QJsonObject resources = config[QStringLiteral("linux")][QStringLiteral("resources")].toObject();
        QCOMPARE(resources[QStringLiteral("memory")][QStringLiteral("limit")].toInteger(), 67108864);
    }

    void build_halfACoreIsQuota50000OfPeriod100000()
    {
        const QJsonObject config = buildOrFail(webSpec(), busyboxImage(), hostFacts());
        const QJsonObject cpu
            = config[QStringLiteral("linux")][QStringLiteral("resources")][QStringLiteral("cpu")].toObject();
        QCOMPARE(cpu[QStringLiteral("quota")].toInteger(), 50000);
        QCOMPARE(cpu[QStringLiteral("period")].toInteger(), 100000);
    }

    void build_noCpuOrMemoryLimitWhenNotAsked()
    {
        ContainerSpec spec = webSpec();
        spec.cpus = 0;
        spec.memory = 0;
        const QJsonObject resources
            = buildOrFail(spec, busyboxImage(), hostFacts())[QStringLiteral("linux")][QStringLiteral("resources")]
                  .toObject();
        QVERIFY(!resources.contains(QStringLiteral("cpu")));
        QVERIFY(!resources.contains(QStringLiteral("memory")));
    }

    void build_pidsLimitIsAskedOrDefault2048()
    {
        QCOMPARE(buildOrFail(webSpec(), busyboxImage(), hostFacts())[QStringLiteral("linux")][QStringLiteral(
                     "resources")][QStringLiteral("pids")][QStringLiteral("limit")]
                     .toInteger(),
                 64);
        ContainerSpec spec = webSpec();
        spec.pids = 0;
        QCOMPARE(buildOrFail(spec, busyboxImage(), hostFacts())[QStringLiteral("linux")][QStringLiteral("resources")]
                                                               [QStringLiteral("pids")][QStringLiteral("limit")]
                                                                   .toInteger(),
                 2048);
    }

    void build_grantsExactlyPodmansCapabilities()
    {
        const QJsonObject caps = buildOrFail(webSpec(), busyboxImage(),
                                             hostFacts())[QStringLiteral("process")][QStringLiteral("capabilities")]
                                     .toObject();
        const QStringList expected {
            QStringLiteral("CAP_CHOWN"),   QStringLiteral("CAP_DAC_OVERRIDE"), QStringLiteral("CAP_FOWNER"),
            QStringLiteral("CAP_FSETID"),  QStringLiteral("CAP_KILL"),         QStringLiteral("CAP_NET_BIND_SERVICE"),
            QStringLiteral("CAP_SETFCAP"), QStringLiteral("CAP_SETGID"),       QStringLiteral("CAP_SETPCAP"),
            QStringLiteral("CAP_SETUID"),  QStringLiteral("CAP_SYS_CHROOT")};
        for (const QString &set :
             {QStringLiteral("bounding"), QStringLiteral("effective"), QStringLiteral("permitted")})
            QCOMPARE(strings(caps[set]), expected);
        QVERIFY(!caps.contains(QStringLiteral("ambient")));
        QVERIFY(!strings(caps[QStringLiteral("bounding")]).contains(QStringLiteral("CAP_SYS_ADMIN")));
    }

    void build_masksKcoreAndMakesProcSysReadOnly()
    {
        const QJsonObject linux
            = buildOrFail(webSpec(), busyboxImage(), hostFacts())[QStringLiteral("linux")].toObject();
        QVERIFY(strings(linux[QStringLiteral("maskedPaths")]).contains(QStringLiteral("/proc/kcore")));
        QVERIFY(strings(linux[QStringLiteral("maskedPaths")]).contains(QStringLiteral("/sys/firmware")));
        QVERIFY(strings(linux[QStringLiteral("readonlyPaths")]).contains(QStringLiteral("/proc/sys")));
        QVERIFY(strings(linux[QStringLiteral("readonlyPaths")]).contains(QStringLiteral("/proc/sysrq-trigger")));
    }

    void build_masksWhatPodmanMasks_withTheHostsThermalThrottleDirectories()
    {
        OciConfig::HostFacts facts = hostFacts();
        facts.hostMaskedPaths = {QStringLiteral("/sys/devices/system/cpu/cpu0/thermal_throttle")};
        const QStringList masked = strings(
            buildOrFail(webSpec(), busyboxImage(), facts)[QStringLiteral("linux")][QStringLiteral("maskedPaths")]);
        for (const QString &path : {QStringLiteral("/sys/devices/virtual/powercap"), QStringLiteral("/proc/interrupts"),
                                    QStringLiteral("/sys/devices/system/cpu/cpu0/thermal_throttle")})
            QVERIFY2(masked.contains(path), qPrintable(path));
    }

    void build_givesTheContainerAnOomScoreAdjOfZero()
    {
        const QJsonObject process
            = buildOrFail(webSpec(), busyboxImage(), hostFacts())[QStringLiteral("process")].toObject();
        QVERIFY(process.contains(QStringLiteral("oomScoreAdj")));
        QCOMPARE(process[QStringLiteral("oomScoreAdj")].toInt(-1), 0);
    }

    void build_refusesAnImageWorkingDirUnderProc()
    {
        ImageConfig image = busyboxImage();
        image.workingDir = QStringLiteral("/proc/self/fd/7"); // CVE-2024-21626's way out
        const auto config = OciConfig::build(webSpec(), image, hostFacts());
        QVERIFY(!config);
        QCOMPARE(config.error().name, QStringLiteral("dev.hamlet.Error.InvalidArgument"));
        QVERIFY2(config.error().message.contains(QStringLiteral("/proc")), qPrintable(config.error().message));
    }

    void build_setsNoNewPrivilegesAndRunsAsRootInside()
    {
        const QJsonObject process
            = buildOrFail(webSpec(), busyboxImage(), hostFacts())[QStringLiteral("process")].toObject();
        QCOMPARE(process[QStringLiteral("noNewPrivileges")].toBool(), true);
        QCOMPARE(process[QStringLiteral("user")][QStringLiteral("uid")].toInt(), 0);
    }

    void build_mountsFreshDevAndReadOnlySys()
    {
        const QJsonObject config = buildOrFail(webSpec(), busyboxImage(), hostFacts());
        QCOMPARE(mountAt(config, QStringLiteral("/dev"))[QStringLiteral("type")].toString(), QStringLiteral("tmpfs"));
        QVERIFY(
            strings(mountAt(config, QStringLiteral("/sys"))[QStringLiteral("options")]).contains(QStringLiteral("ro")));
        QCOMPARE(mountAt(config, QStringLiteral("/proc"))[QStringLiteral("type")].toString(), QStringLiteral("proc"));
        for (const QString &dev :
             {QStringLiteral("/dev/pts"), QStringLiteral("/dev/shm"), QStringLiteral("/dev/mqueue")})
            QVERIFY2(!mountAt(config, dev).isEmpty(), qPrintable(dev));
    }

    void build_cgroupNamespaceOnlyOnV2()
    {
        const QStringList base {QStringLiteral("pid"), QStringLiteral("network"), QStringLiteral("ipc"),
                                QStringLiteral("uts"), QStringLiteral("mount")};
        QCOMPARE(namespaceTypes(buildOrFail(webSpec(), busyboxImage(), hostFacts(QStringLiteral("hybrid")))), base);
        QCOMPARE(namespaceTypes(buildOrFail(webSpec(), busyboxImage(), hostFacts(QStringLiteral("v1")))), base);
        QCOMPARE(namespaceTypes(buildOrFail(webSpec(), busyboxImage(), hostFacts(QStringLiteral("v2")))),
                 base + QStringList {QStringLiteral("cgroup")});
    }

    void build_natJoinsItsNamespaceByPath_hostHasNone()
    {
        OciConfig::HostFacts facts = hostFacts();
        facts.netnsPath = QStringLiteral("/run/hamlet/netns/web1");
        facts.hostsFile = QStringLiteral("/b/hosts");
        facts.resolvFile = QStringLiteral("/b/resolv.conf");
        const QJsonObject nat = buildOrFail(webSpec(), busyboxImage(), facts);
        const QJsonArray namespaces = nat[QStringLiteral("linux")][QStringLiteral("namespaces")].toArray();
        QCOMPARE(namespaces.first().toObject(),
                 (QJsonObject {{QStringLiteral("type"), QStringLiteral("network")},
                               {QStringLiteral("path"), QStringLiteral("/run/hamlet/netns/web1")}}));
        QCOMPARE(namespaceTypes(nat).count(QStringLiteral("network")), 1);
        QCOMPARE(mountAt(nat, QStringLiteral("/etc/resolv.conf"))[QStringLiteral("source")].toString(),
                 QStringLiteral("/b/resolv.conf"));
        QCOMPARE(mountAt(nat, QStringLiteral("/etc/hosts"))[QStringLiteral("type")].toString(), QStringLiteral("bind"));

        ContainerSpec host = webSpec();
        host.network = QStringLiteral("host");
        QVERIFY(!namespaceTypes(buildOrFail(host, busyboxImage(), hostFacts())).contains(QStringLiteral("network")));
        // Without a path, "none" gets a new namespace of its own; and no /etc files are mounted.
        const QJsonObject none = buildOrFail(webSpec(), busyboxImage(), hostFacts());
        QVERIFY(namespaceTypes(none).contains(QStringLiteral("network")));
        QVERIFY(mountAt(none, QStringLiteral("/etc/hosts")).isEmpty());
    }

    void build_nofileNeverAboveTheHardLimit()
    {
        auto nofile = [](quint64 hard) {
            OciConfig::HostFacts facts = hostFacts();
            facts.nofileHardLimit = hard;
            const QJsonObject rlimit
                = buildOrFail(webSpec(), busyboxImage(), facts)[QStringLiteral("process")][QStringLiteral("rlimits")][0]
                      .toObject();
            if (rlimit[QStringLiteral("type")].toString() != QStringLiteral("RLIMIT_NOFILE")
                || rlimit[QStringLiteral("soft")].toInteger() != rlimit[QStringLiteral("hard")].toInteger())
                return qint64(-1);
            return rlimit[QStringLiteral("hard")].toInteger();
        };
        QCOMPARE(nofile(20000), 20000);
        QCOMPARE(nofile(4194304), 1048576);
    }

    void hostFacts_readTheHelpersOwnHardLimit()
    {
        rlimit limit {};
        QCOMPARE(::getrlimit(RLIMIT_NOFILE, &limit), 0);
        const auto facts = OciConfig::HostFacts::current(QStringLiteral("hybrid"), QStringLiteral("/hamlet/x"));
        QVERIFY2(facts.ok(), facts.ok() ? "" : qPrintable(facts.error().message));
        QCOMPARE(facts->nofileHardLimit, quint64(limit.rlim_max));
        QVERIFY(!facts->seccomp.isEmpty());
    }

    void build_commandReplacesCmdButKeepsEntrypoint()
    {
        ImageConfig image = busyboxImage();
        image.entrypoint = {QStringLiteral("/entry")};
        QCOMPARE(OciConfig::processArgs(webSpec(), image),
                 (QStringList {QStringLiteral("/entry"), QStringLiteral("sleep"), QStringLiteral("3600")}));
        ContainerSpec spec = webSpec();
        spec.command.clear();
        QCOMPARE(OciConfig::processArgs(spec, busyboxImage()), QStringList {QStringLiteral("/bin/sh")});
    }

    void build_refusesAnImageWithNothingToRun()
    {
        ContainerSpec spec = webSpec();
        spec.command.clear();
        const auto config = OciConfig::build(spec, ImageConfig {}, hostFacts());
        QVERIFY(!config.ok());
        QCOMPARE(config.error().name, Hamlet::Error::InvalidArgument);
    }

    void build_specEnvOverridesImageEnvAndHostnameDefaultsToName()
    {
        ContainerSpec spec = webSpec();
        spec.env = {QStringLiteral("PATH=/custom"), QStringLiteral("A=1")};
        const QJsonObject config = buildOrFail(spec, busyboxImage(), hostFacts());
        const QStringList env = strings(config[QStringLiteral("process")][QStringLiteral("env")]);
        QVERIFY(env.contains(QStringLiteral("PATH=/custom")));
        QVERIFY(!env.contains(QStringLiteral("PATH=/bin:/usr/bin")));
        QVERIFY(env.contains(QStringLiteral("A=1")));
        QCOMPARE(config[QStringLiteral("hostname")].toString(), QStringLiteral("web1"));
        spec.hostname = QStringLiteral("other");
        QCOMPARE(buildOrFail(spec, busyboxImage(), hostFacts())[QStringLiteral("hostname")].toString(),
                 QStringLiteral("other"));
    }

    void build_rootIsTheBundleRootfsAndCgroupsPathIsTheHosts()
    {
        const QJsonObject config = buildOrFail(webSpec(), busyboxImage(), hostFacts());
        QCOMPARE(config[QStringLiteral("root")][QStringLiteral("path")].toString(), QStringLiteral("rootfs"));
        QCOMPARE(config[QStringLiteral("linux")][QStringLiteral("cgroupsPath")].toString(),
                 QStringLiteral("/hamlet/web1"));
    }

    void build_refusesNamedImageUser()
    {
        ImageConfig image = busyboxImage();
        image.user = QStringLiteral("nobody");
        QCOMPARE(OciConfig::build(webSpec(), image, hostFacts()).error().name, Hamlet::Error::Unsupported);
        image.user = QStringLiteral("1000:100");
        const QJsonObject user
            = buildOrFail(webSpec(), image, hostFacts())[QStringLiteral("process")][QStringLiteral("user")].toObject();
        QCOMPARE(user[QStringLiteral("uid")].toInt(), 1000);
        QCOMPARE(user[QStringLiteral("gid")].toInt(), 100);
    }

    void seccomp_debianProfileTranslatedForX86_64()
    {
        const auto seccomp = Seccomp::load(OciConfig::defaultCapabilities());
        QVERIFY2(seccomp.ok(), seccomp.ok() ? "" : qPrintable(seccomp.error().message));
        QCOMPARE((*seccomp)[QStringLiteral("defaultAction")].toString(), QStringLiteral("SCMP_ACT_ERRNO"));
        QVERIFY((*seccomp).contains(QStringLiteral("defaultErrnoRet")));
        QCOMPARE(strings((*seccomp)[QStringLiteral("architectures")]),
                 (QStringList {QStringLiteral("SCMP_ARCH_X86_64"), QStringLiteral("SCMP_ARCH_X86"),
                               QStringLiteral("SCMP_ARCH_X32")}));

        const auto readRules = rulesFor(*seccomp, QStringLiteral("read"));
        QCOMPARE(readRules.size(), 1);
        QCOMPARE(readRules.first()[QStringLiteral("action")].toString(), QStringLiteral("SCMP_ACT_ALLOW"));
        // amd64-only rules are in, arm-only ones out.
        QCOMPARE(rulesFor(*seccomp, QStringLiteral("arch_prctl")).size(), 1);
        QVERIFY(rulesFor(*seccomp, QStringLiteral("arm_fadvise64_64")).isEmpty());
        // The rule-args survive: personality is only allowed for given personas.
        QVERIFY(!rulesFor(*seccomp, QStringLiteral("personality")).first()[QStringLiteral("args")].toArray().isEmpty());
    }

    void seccomp_capabilityGatedSyscallsFollowTheCapabilities()
    {
        const QJsonObject seccomp = *Seccomp::load(OciConfig::defaultCapabilities());
        // No CAP_SYS_ADMIN: the syscalls the profile gates on it are not allowed, and refused with EPERM.
        for (const QString &syscall :
             {QStringLiteral("bpf"), QStringLiteral("perf_event_open"), QStringLiteral("sethostname")}) {
            for (const QJsonObject &rule : rulesFor(seccomp, syscall))
                QVERIFY2(rule[QStringLiteral("action")].toString() != QStringLiteral("SCMP_ACT_ALLOW"),
                         qPrintable(syscall));
        }
        const auto bpf = rulesFor(seccomp, QStringLiteral("bpf"));
        QCOMPARE(bpf.size(), 1);
        QCOMPARE(bpf.first()[QStringLiteral("errnoRet")].toInt(), 1);
        // CAP_SYS_CHROOT is granted: chroot is allowed.
        QCOMPARE(rulesFor(seccomp, QStringLiteral("chroot")).size(), 1);
        QCOMPARE(rulesFor(seccomp, QStringLiteral("chroot")).first()[QStringLiteral("action")].toString(),
                 QStringLiteral("SCMP_ACT_ALLOW"));

        // With CAP_SYS_ADMIN the same profile allows bpf: the includes are evaluated, not copied.
        const QJsonObject admin
            = *Seccomp::load(OciConfig::defaultCapabilities() + QStringList {QStringLiteral("CAP_SYS_ADMIN")});
        QCOMPARE(rulesFor(admin, QStringLiteral("bpf")).first()[QStringLiteral("action")].toString(),
                 QStringLiteral("SCMP_ACT_ALLOW"));
    }

    void seccomp_translateAppliesMinKernelAndExcludedArches()
    {
        const QJsonObject profile = QJsonDocument::fromJson(R"({
            "defaultAction": "SCMP_ACT_ERRNO",
            "syscalls": [
                {"names": ["new_call"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.8"}},
                {"names": ["not_on_amd64"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
                {"name": "old_format", "action": "SCMP_ACT_ALLOW"}
            ]})")
                                        .object();
        const QJsonObject oldKernel
            = Seccomp::translate(profile, {}, QStringLiteral("amd64"), QStringLiteral("5.4.0-1"));
        QVERIFY(rulesFor(oldKernel, QStringLiteral("new_call")).isEmpty());
        QCOMPARE(rulesFor(oldKernel, QStringLiteral("old_format")).size(), 1);
        const QJsonObject newKernel
            = Seccomp::translate(profile, {}, QStringLiteral("amd64"), QStringLiteral("6.1.0-13-amd64"));
        QCOMPARE(rulesFor(newKernel, QStringLiteral("new_call")).size(), 1);
        QVERIFY(rulesFor(newKernel, QStringLiteral("not_on_amd64")).isEmpty());
        QCOMPARE(rulesFor(Seccomp::translate(profile, {}, QStringLiteral("arm64"), QStringLiteral("6.1")),
                          QStringLiteral("not_on_amd64"))
                     .size(),
                 1);
    }

    void seccomp_missingProfileIsAnErrorNamingThePackage()
    {
        const auto seccomp = Seccomp::load({}, QStringLiteral("/nonexistent/seccomp.json"));
        QVERIFY(!seccomp.ok());
        QVERIFY(seccomp.error().message.contains(QStringLiteral("golang-github-containers-common")));
    }
};

QTEST_GUILESS_MAIN(TestOciConfig)
#include "tst_ociconfig.moc"
