#include "hostprobe.h"

#include "hamlet_version.h"
#include "logging.h"
#include "runtimecheck.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStandardPaths>
#include <QThread>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/un.h>
#include <unistd.h>

namespace Hamlet::HostProbe {

namespace {

const QStringList kSystemBinDirs
    = {QStringLiteral("/usr/local/sbin"), QStringLiteral("/usr/local/bin"), QStringLiteral("/usr/sbin"),
       QStringLiteral("/usr/bin"),        QStringLiteral("/sbin"),          QStringLiteral("/bin")};

QString findProgram(const QString &name)
{
    const QString found = QStandardPaths::findExecutable(name);
    return found.isEmpty() ? QStandardPaths::findExecutable(name, kSystemBinDirs) : found;
}

long filesystemType(const QString &path)
{
    struct statfs fs {
    };
    if (statfs(QFile::encodeName(path).constData(), &fs) != 0)
        return 0;
    return static_cast<long>(fs.f_type);
}

// Closes an fd when it leaves scope.
struct Fd {
    int fd = -1;
    explicit Fd(int f)
        : fd(f)
    { }
    ~Fd()
    {
        if (fd >= 0)
            ::close(fd);
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
};

bool socketAccepts(const QString &path)
{
    const QByteArray encoded = QFile::encodeName(path);
    sockaddr_un address {};
    if (encoded.size() >= static_cast<qsizetype>(sizeof(address.sun_path)))
        return false;
    Fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (sock.fd < 0)
        return false;
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, encoded.constData(), encoded.size());
    return ::connect(sock.fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0;
}

} // namespace

int compareVersions(const QString &a, const QString &b)
{
    // Digit runs compare as numbers, everything else as text: "6.1.0-11" > "6.1.0-9".
    static const QRegularExpression chunk(QStringLiteral("\\d+|\\D+"));
    auto left = chunk.globalMatch(a);
    auto right = chunk.globalMatch(b);
    while (left.hasNext() && right.hasNext()) {
        const QString x = left.next().captured();
        const QString y = right.next().captured();
        const bool numbers = x.front().isDigit() && y.front().isDigit();
        const int order
            = numbers ? (x.toULongLong() < y.toULongLong() ? -1 : x.toULongLong() > y.toULongLong()) : x.compare(y);
        if (order != 0)
            return order;
    }
    return left.hasNext() ? 1 : right.hasNext() ? -1 : 0;
}

QString cgroupVersion(const QString &cgroupRoot)
{
    if (filesystemType(cgroupRoot) == CGROUP2_SUPER_MAGIC)
        return QStringLiteral("v2");
    const QString unified = cgroupRoot + QStringLiteral("/unified");
    if (QFileInfo(unified).isDir() && filesystemType(unified) == CGROUP2_SUPER_MAGIC)
        return QStringLiteral("hybrid");
    return QStringLiteral("v1");
}

QString chooseRuntime(const QString &cgroupVersion)
{
    const QStringList order = cgroupVersion == QStringLiteral("v2")
        ? QStringList {QStringLiteral("crun"), QStringLiteral("runc")}
        : QStringList {QStringLiteral("runc"), QStringLiteral("crun")};
    for (const QString &name : order) {
        // crun before 1.9 cannot manage cgroups on a hybrid or v1 host: never pick it there.
        if (name == QStringLiteral("crun") && cgroupVersion != QStringLiteral("v2"))
            continue;
        if (const QString path = findProgram(name); !path.isEmpty())
            return path;
    }
    return {};
}

QString runtimeVersion(const QString &runtimePath)
{
    if (runtimePath.isEmpty())
        return {};
    QProcess process;
    process.start(runtimePath, {QStringLiteral("--version")});
    if (!process.waitForFinished(5000) || process.exitCode() != 0) {
        Log::helper()->warn("{} --version failed: {}", runtimePath, process.errorString());
        return {};
    }
    return QString::fromUtf8(process.readAllStandardOutput()).section(QLatin1Char('\n'), 0, 0).trimmed();
}

bool kvmRunsHalt(QString *why)
{
    auto fail = [why](const QString &reason) {
        if (why)
            *why = reason;
        return false;
    };
    Fd kvm(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
    if (kvm.fd < 0)
        return fail(QStringLiteral("/dev/kvm: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    if (::ioctl(kvm.fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
        return fail(QStringLiteral("/dev/kvm speaks an unknown API version"));
    Fd vm(::ioctl(kvm.fd, KVM_CREATE_VM, 0));
    if (vm.fd < 0)
        return fail(QStringLiteral("KVM_CREATE_VM: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));

    // One page of guest memory holding "hlt" at guest address 0x1000, run in real mode.
    constexpr size_t pageSize = 0x1000;
    void *memory = ::mmap(nullptr, pageSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        return fail(QStringLiteral("mmap of guest memory failed"));
    const auto unmapMemory = qScopeGuard([memory] { ::munmap(memory, pageSize); });
    static_cast<unsigned char *>(memory)[0] = 0xf4; // hlt
    kvm_userspace_memory_region region {};
    region.slot = 0;
    region.guest_phys_addr = 0x1000;
    region.memory_size = pageSize;
    region.userspace_addr = reinterpret_cast<__u64>(memory);
    if (::ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return fail(QStringLiteral("KVM_SET_USER_MEMORY_REGION: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    Fd vcpu(::ioctl(vm.fd, KVM_CREATE_VCPU, 0));
    if (vcpu.fd < 0)
        return fail(QStringLiteral("KVM_CREATE_VCPU: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    const int runSize = ::ioctl(kvm.fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (runSize <= 0)
        return fail(QStringLiteral("KVM_GET_VCPU_MMAP_SIZE failed"));
    void *runMap = ::mmap(nullptr, runSize, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu.fd, 0);
    if (runMap == MAP_FAILED)
        return fail(QStringLiteral("mmap of the vCPU run area failed"));
    const auto unmapRun = qScopeGuard([runMap, runSize] { ::munmap(runMap, runSize); });

    kvm_sregs sregs {};
    if (::ioctl(vcpu.fd, KVM_GET_SREGS, &sregs) < 0)
        return fail(QStringLiteral("KVM_GET_SREGS: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (::ioctl(vcpu.fd, KVM_SET_SREGS, &sregs) < 0)
        return fail(QStringLiteral("KVM_SET_SREGS: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    kvm_regs regs {};
    regs.rip = 0x1000;
    regs.rflags = 0x2;
    if (::ioctl(vcpu.fd, KVM_SET_REGS, &regs) < 0)
        return fail(QStringLiteral("KVM_SET_REGS: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    if (::ioctl(vcpu.fd, KVM_RUN, 0) < 0)
        return fail(QStringLiteral("KVM_RUN: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    const auto *run = static_cast<const kvm_run *>(runMap);
    if (run->exit_reason != KVM_EXIT_HLT)
        return fail(
            QStringLiteral("a KVM test guest stopped with exit reason %1 instead of halting").arg(run->exit_reason));
    return true;
}

bool kvmBootsKernel(const QString &kernel, QString *why)
{
    const QString qemu = findProgram(QStringLiteral("qemu-system-x86_64"));
    if (qemu.isEmpty()) {
        *why = QStringLiteral("qemu-system-x86_64 not found: install 'qemu-system-x86'");
        return false;
    }
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(qemu,
                  {QStringLiteral("-accel"), QStringLiteral("kvm"), QStringLiteral("-m"), QStringLiteral("128"),
                   QStringLiteral("-display"), QStringLiteral("none"), QStringLiteral("-no-reboot"),
                   QStringLiteral("-serial"), QStringLiteral("stdio"), QStringLiteral("-kernel"), kernel,
                   QStringLiteral("-append"), QStringLiteral("console=ttyS0 earlyprintk=ttyS0 panic=-1")});
    // A kernel under working KVM prints its banner within a fraction of a second.
    constexpr int TimeoutMs = 6000;
    QByteArray output;
    QDeadlineTimer deadline(TimeoutMs);
    while (!deadline.hasExpired() && process.state() != QProcess::NotRunning && !output.contains("Linux version")) {
        process.waitForReadyRead(static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
        output += process.readAll();
    }
    output += process.readAll();
    process.kill();
    process.waitForFinished(2000);
    if (output.contains("Linux version"))
        return true;
    const QString last = QString::fromLocal8Bit(output).trimmed().section(QLatin1Char('\n'), -1).trimmed();
    *why = last.startsWith(QStringLiteral("qemu"))
        ? QStringLiteral("a test VM under KVM failed: %1").arg(last)
        : QStringLiteral("a test VM under KVM did not boot within %1 s").arg(TimeoutMs / 1000);
    return false;
}

bool kvmWorks(const QString &kernel, const QString &cacheFile, QString *why)
{
    QFile bootIdFile(QStringLiteral("/proc/sys/kernel/random/boot_id"));
    const QByteArray bootId = bootIdFile.open(QIODevice::ReadOnly) ? bootIdFile.readAll().trimmed() : QByteArray();
    const QByteArray key = bootId + ' ' + QFile::encodeName(kernel);
    if (!cacheFile.isEmpty() && !bootId.isEmpty()) {
        QFile cache(cacheFile);
        if (cache.open(QIODevice::ReadOnly)) {
            const QList<QByteArray> lines = cache.readAll().split('\n');
            if (lines.size() >= 2 && lines[0] == key) {
                *why = QString::fromUtf8(lines.mid(2).join('\n'));
                return lines[1] == "kvm";
            }
        }
    }
    bool works = kvmRunsHalt(why);
    if (works && !kernel.isEmpty())
        works = kvmBootsKernel(kernel, why);
    if (works)
        why->clear();
    if (!cacheFile.isEmpty() && !bootId.isEmpty()) {
        QSaveFile cache(cacheFile);
        if (cache.open(QIODevice::WriteOnly)) {
            cache.write(key + '\n' + (works ? "kvm" : "tcg") + '\n' + why->toUtf8());
            cache.commit();
        }
    }
    return works;
}

bool isStaticElf(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return false;
    Elf64_Ehdr header {};
    if (file.read(reinterpret_cast<char *>(&header), sizeof(header)) != sizeof(header))
        return false;
    if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64)
        return false;
    for (int i = 0; i < header.e_phnum; ++i) {
        Elf64_Phdr program {};
        if (!file.seek(header.e_phoff + static_cast<qint64>(i) * header.e_phentsize)
            || file.read(reinterpret_cast<char *>(&program), sizeof(program)) != sizeof(program))
            return false;
        if (program.p_type == PT_INTERP)
            return false;
    }
    return true;
}

QString findStaticBusybox()
{
    for (const QString &candidate : {QStringLiteral("/bin/busybox"), QStringLiteral("/usr/bin/busybox"),
                                     QStringLiteral("/usr/lib/busybox/busybox-static")}) {
        if (isStaticElf(candidate))
            return QFileInfo(candidate).canonicalFilePath();
    }
    return {};
}

QString findBootableKernel(const QString &bootDir)
{
    QStringList kernels = QDir(bootDir).entryList({QStringLiteral("vmlinuz-*")}, QDir::Files);
    std::sort(kernels.begin(), kernels.end(),
              [](const QString &a, const QString &b) { return compareVersions(a, b) > 0; });
    for (const QString &name : kernels) {
        QFile file(bootDir + QLatin1Char('/') + name);
        if (!file.open(QIODevice::ReadOnly) || !file.seek(0x202))
            continue;
        if (file.read(4) == "HdrS")
            return file.fileName();
    }
    return {};
}

QString libvirtUri(const QString &stateDir)
{
    for (const QString &socket :
         {QStringLiteral("/run/libvirt/virtqemud-sock"), QStringLiteral("/run/libvirt/libvirt-sock")}) {
        if (socketAccepts(socket))
            return QStringLiteral("qemu:///system");
    }
    return QStringLiteral("qemu:///embed?root=%1/libvirt").arg(stateDir);
}

Capabilities probe(const Options &options)
{
    Capabilities caps;
    caps.version = QStringLiteral(HAMLET_VERSION);
    caps.cgroupVersion = cgroupVersion();
    caps.runtime = options.runtimeOverride.isEmpty() ? chooseRuntime(caps.cgroupVersion) : options.runtimeOverride;
    caps.runtimeVersion = runtimeVersion(caps.runtime);
    caps.runtimeWarning = RuntimeCheck::warningFor(RuntimeCheck::read(caps.runtime));
    caps.libvirtUri = options.libvirtUriOverride.isEmpty() ? libvirtUri(options.stateDir) : options.libvirtUriOverride;
    caps.busybox = findStaticBusybox();
    caps.kernel = findBootableKernel();
    QString why;
    caps.virtualization
        = kvmWorks(caps.kernel, options.probeCache, &why) ? QStringLiteral("kvm") : QStringLiteral("tcg");
    caps.kvmDiagnosis = why;
    caps.hostCpus = static_cast<uint>(std::max(1, QThread::idealThreadCount()));
    struct sysinfo info {
    };
    if (sysinfo(&info) == 0)
        caps.hostMemory = static_cast<qulonglong>(info.totalram) * info.mem_unit;
    return caps;
}

} // namespace Hamlet::HostProbe
