#include "seccompprofile.h"

#include "logging.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QVersionNumber>

#include <sys/utsname.h>

namespace Hamlet::Containers::Seccomp {

namespace {

QStringList stringList(const QJsonValue &value)
{
    QStringList list;
    for (const auto &item : value.toArray())
        list << item.toString();
    return list;
}

// Go architecture names (as in the profile's includes/excludes) to libseccomp's.
QString seccompArchFor(const QString &goArch)
{
    static const QHash<QString, QString> names {
        {QStringLiteral("amd64"), QStringLiteral("SCMP_ARCH_X86_64")},
        {QStringLiteral("386"), QStringLiteral("SCMP_ARCH_X86")},
        {QStringLiteral("arm64"), QStringLiteral("SCMP_ARCH_AARCH64")},
        {QStringLiteral("arm"), QStringLiteral("SCMP_ARCH_ARM")},
        {QStringLiteral("ppc64le"), QStringLiteral("SCMP_ARCH_PPC64LE")},
        {QStringLiteral("s390x"), QStringLiteral("SCMP_ARCH_S390X")},
        {QStringLiteral("riscv64"), QStringLiteral("SCMP_ARCH_RISCV64")},
    };
    return names.value(goArch);
}

QJsonArray architecturesFor(const QJsonObject &profile, const QString &goArch)
{
    const QString native = seccompArchFor(goArch);
    for (const auto &entry : profile.value(QStringLiteral("archMap")).toArray()) {
        const QJsonObject map = entry.toObject();
        if (map.value(QStringLiteral("architecture")).toString() != native)
            continue;
        QJsonArray architectures {native};
        for (const auto &sub : map.value(QStringLiteral("subArchitectures")).toArray())
            architectures.append(sub);
        return architectures;
    }
    return native.isEmpty() ? QJsonArray {} : QJsonArray {native};
}

bool containsAll(const QStringList &have, const QStringList &wanted)
{
    for (const QString &item : wanted) {
        if (!have.contains(item))
            return false;
    }
    return true;
}

bool containsAny(const QStringList &have, const QStringList &wanted)
{
    for (const QString &item : wanted) {
        if (have.contains(item))
            return true;
    }
    return false;
}

bool kernelAtLeast(const QString &release, const QString &minimum)
{
    // "6.1.0-13-amd64" -> 6.1.0; the suffix is ignored, as the Go code does.
    const QVersionNumber have = QVersionNumber::fromString(release);
    const QVersionNumber need = QVersionNumber::fromString(minimum);
    return QVersionNumber::compare(have, need) >= 0;
}

// The rules moby applies (profiles/seccomp/seccomp_linux.go): a rule applies when every
// included capability is granted, the architecture is included, the kernel is recent enough,
// and neither an excluded capability nor architecture matches.
bool ruleApplies(const QJsonObject &rule, const QStringList &capabilities, const QString &arch,
                 const QString &kernelRelease)
{
    const QJsonObject includes = rule.value(QStringLiteral("includes")).toObject();
    const QJsonObject excludes = rule.value(QStringLiteral("excludes")).toObject();
    const QStringList includedArches = stringList(includes.value(QStringLiteral("arches")));
    if (!includedArches.isEmpty() && !includedArches.contains(arch))
        return false;
    if (!containsAll(capabilities, stringList(includes.value(QStringLiteral("caps")))))
        return false;
    const QString minKernel = includes.value(QStringLiteral("minKernel")).toString();
    if (!minKernel.isEmpty() && !kernelAtLeast(kernelRelease, minKernel))
        return false;
    if (stringList(excludes.value(QStringLiteral("arches"))).contains(arch))
        return false;
    if (containsAny(capabilities, stringList(excludes.value(QStringLiteral("caps")))))
        return false;
    return true;
}

QJsonObject ociRule(const QJsonObject &rule)
{
    QStringList names = stringList(rule.value(QStringLiteral("names")));
    if (const QString single = rule.value(QStringLiteral("name")).toString(); !single.isEmpty())
        names << single; // the older one-name-per-rule format
    QJsonObject oci {{QStringLiteral("names"), QJsonArray::fromStringList(names)},
                     {QStringLiteral("action"), rule.value(QStringLiteral("action"))}};
    if (rule.contains(QStringLiteral("errnoRet")))
        oci.insert(QStringLiteral("errnoRet"), rule.value(QStringLiteral("errnoRet")));
    QJsonArray args;
    for (const auto &value : rule.value(QStringLiteral("args")).toArray()) {
        const QJsonObject arg = value.toObject();
        QJsonObject ociArg {{QStringLiteral("index"), arg.value(QStringLiteral("index"))},
                            {QStringLiteral("value"), arg.value(QStringLiteral("value"))},
                            {QStringLiteral("op"), arg.value(QStringLiteral("op"))}};
        if (arg.value(QStringLiteral("valueTwo")).toDouble() != 0)
            ociArg.insert(QStringLiteral("valueTwo"), arg.value(QStringLiteral("valueTwo")));
        args.append(ociArg);
    }
    if (!args.isEmpty())
        oci.insert(QStringLiteral("args"), args);
    return oci;
}

QString kernelReleaseOfHost()
{
    utsname name {};
    if (::uname(&name) != 0)
        return {};
    return QString::fromLatin1(name.release);
}

} // namespace

QString nativeArch()
{
#if defined(__x86_64__)
    return QStringLiteral("amd64");
#elif defined(__aarch64__)
    return QStringLiteral("arm64");
#elif defined(__i386__)
    return QStringLiteral("386");
#elif defined(__arm__)
    return QStringLiteral("arm");
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return QStringLiteral("ppc64le");
#elif defined(__s390x__)
    return QStringLiteral("s390x");
#elif defined(__riscv) && __riscv_xlen == 64
    return QStringLiteral("riscv64");
#else
#error "Unknown architecture: add its Go and libseccomp names to seccompprofile.cpp"
#endif
}

QJsonObject translate(const QJsonObject &profile, const QStringList &capabilities, const QString &arch,
                      const QString &kernelRelease)
{
    QJsonObject seccomp {{QStringLiteral("defaultAction"), profile.value(QStringLiteral("defaultAction"))},
                         {QStringLiteral("architectures"), architecturesFor(profile, arch)}};
    if (profile.contains(QStringLiteral("defaultErrnoRet")))
        seccomp.insert(QStringLiteral("defaultErrnoRet"), profile.value(QStringLiteral("defaultErrnoRet")));
    QJsonArray syscalls;
    for (const auto &value : profile.value(QStringLiteral("syscalls")).toArray()) {
        const QJsonObject rule = value.toObject();
        if (ruleApplies(rule, capabilities, arch, kernelRelease))
            syscalls.append(ociRule(rule));
    }
    seccomp.insert(QStringLiteral("syscalls"), syscalls);
    return seccomp;
}

Result<QJsonObject> load(const QStringList &capabilities, const QString &path)
{
    static QMutex mutex;
    static QHash<QString, QJsonObject> cache;
    const QString key = path + QLatin1Char('\n') + capabilities.join(QLatin1Char(','));
    const QMutexLocker locker(&mutex);
    if (const auto found = cache.constFind(key); found != cache.cend())
        return *found;

    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return failed(QStringLiteral("cannot read the default seccomp profile %1 (%2): install the Debian package "
                                     "'golang-github-containers-common'")
                          .arg(path, file.errorString()));
    QJsonParseError error {};
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (!document.isObject() || !document.object().contains(QStringLiteral("defaultAction")))
        return failed(QStringLiteral("the seccomp profile %1 is not a containers/moby profile (%2)")
                          .arg(path,
                               error.error == QJsonParseError::NoError ? QStringLiteral("no defaultAction")
                                                                       : error.errorString()));
    const QJsonObject translated = translate(document.object(), capabilities, nativeArch(), kernelReleaseOfHost());
    Log::containers()->debug("seccomp profile {}: {} rules apply", path,
                             translated.value(QStringLiteral("syscalls")).toArray().size());
    cache.insert(key, translated);
    return translated;
}

} // namespace Hamlet::Containers::Seccomp
