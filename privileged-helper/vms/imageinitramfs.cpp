#include "imageinitramfs.h"

#include "domainfacts.h"
#include "newcarchive.h"
#include "tinyinitramfs.h"

#include <QDir>
#include <QFile>
#include <QSaveFile>

namespace Hamlet::Vms::ImageInitramfs {

namespace {

QString vmDir(const QString &stateDir)
{
    return stateDir + QStringLiteral("/vms/image-vms");
}

Result<void> writeFile(const QString &path, const QByteArray &bytes)
{
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        return failure(Error::Failed, QStringLiteral("Cannot create the directory of %1.").arg(path));
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.commit())
        return failure(Error::Failed, QStringLiteral("Cannot write %1: %2.").arg(path, out.errorString()));
    return {};
}

} // namespace

QString shellQuote(const QString &text)
{
    QString quoted = text;
    quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

QByteArray initScript()
{
    // /dev/ttyS0 as the program's terminal (setsid + cttyhack, as in the tiny VM): a shell needs
    // a controlling terminal for job control and ^C, and /dev/console cannot be one.
    return QByteArrayLiteral(
        "#!/bin/busybox sh\n"
        "/bin/busybox --install -s /bin\n"
        "export PATH=/bin\n"
        "mount -t proc proc /proc\n"
        "mount -t sysfs sysfs /sys\n"
        "mount -t devtmpfs devtmpfs /dev\n"
        ". /hamlet/config\n"
        "fail() {\n"
        "  echo \"hamlet-init: failed: $*\" >/dev/ttyS0\n"
        "  sync\n"
        "  poweroff -f\n"
        "}\n"
        "for module in /lib/modules/*.ko; do\n"
        "  [ -e \"$module\" ] && insmod \"$module\"\n"
        "done\n"
        "n=0\n"
        "while [ ! -b /dev/vda ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n+1)); done\n"
        "mount -t ext4 /dev/vda /newroot || fail \"the image's disk (/dev/vda) cannot be mounted\"\n"
        "hostname \"$HAMLET_HOSTNAME\"\n"
        "ip link set lo up\n"
        "if [ \"$HAMLET_NETWORK\" = yes ] && ip link show eth0 >/dev/null 2>&1; then\n"
        "  ip link set eth0 up\n"
        // One lease, then udhcpc ends (it could not renew from outside the image's root anyway).
        "  udhcpc -i eth0 -s /etc/udhcpc.script -t 5 -T 2 -n -q >/dev/null 2>&1\n"
        "fi\n"
        "for dir in proc sys dev; do mkdir -p /newroot/$dir; done\n"
        "mount -t proc proc /newroot/proc\n"
        "mount -t sysfs sysfs /newroot/sys\n"
        "mount -t devtmpfs devtmpfs /newroot/dev\n"
        "mkdir -p /newroot/dev/pts /newroot/dev/shm /newroot/dev/.hamlet\n"
        "mount -t devpts devpts /newroot/dev/pts\n"
        "mount -t tmpfs shm /newroot/dev/shm\n"
        "cp /bin/busybox /hamlet/run /newroot/dev/.hamlet/\n"
        "if [ -s /etc/resolv.conf ] && [ -d /newroot/etc ]; then cp /etc/resolv.conf /newroot/etc/resolv.conf; fi\n"
        // Where the program's own output begins: Compare times its first line from here.
        "echo \"hamlet-init: program starts\" >/dev/ttyS0\n"
        "setsid cttyhack chroot /newroot /dev/.hamlet/busybox sh /dev/.hamlet/run </dev/ttyS0 >/dev/ttyS0 2>&1\n"
        "status=$?\n"
        "echo \"hamlet-init: exited $status\" >/dev/ttyS0\n"
        "sync\n"
        "poweroff -f\n");
}

QByteArray runScript(const RunConfig &config)
{
    QString path = DefaultPath;
    bool hasPath = false;
    for (const QString &variable : config.env) {
        if (variable.startsWith(QStringLiteral("PATH="))) {
            path = variable.mid(5);
            hasPath = true;
        }
    }
    QStringList env = config.env;
    if (!hasPath)
        env.prepend(QStringLiteral("PATH=") + DefaultPath);
    env << QStringLiteral("HOSTNAME=") + config.hostname;
    const QString workdir = config.workdir.isEmpty() ? QStringLiteral("/") : config.workdir;
    QStringList quotedArgv;
    for (const QString &argument : config.argv)
        quotedArgv << shellQuote(argument);
    QStringList quotedEnv;
    for (const QString &variable : std::as_const(env))
        quotedEnv << shellQuote(variable);
    // The program is looked up here, in the image's PATH, and run by its path: busybox would
    // otherwise prefer its own applet of the same name to the image's program.
    const QString script
        = QStringLiteral(
              "fail() { echo \"hamlet-init: failed: $*\"; exit 127; }\n"
              "cd %1 || fail \"the working directory \"%1\" does not exist in the image\"\n"
              "PATH=%2\n"
              "set -- %3\n"
              "program=\n"
              "case \"$1\" in\n"
              "*/*) if [ -f \"$1\" ] && [ -x \"$1\" ]; then program=$1; fi ;;\n"
              "*) IFS=:\n"
              "   for dir in $PATH; do\n"
              "     if [ -f \"${dir:-.}/$1\" ] && [ -x \"${dir:-.}/$1\" ]; then program=${dir:-.}/$1; break; fi\n"
              "   done\n"
              "   unset IFS ;;\n"
              "esac\n"
              "[ -n \"$program\" ] || fail \"the image's entrypoint \\\"$1\\\" does not exist in the image "
              "(or is not executable)\"\n"
              "shift\n"
              "exec /dev/.hamlet/busybox env -i %4 \"$program\" \"$@\"\n")
              .arg(shellQuote(workdir), shellQuote(path), quotedArgv.join(QLatin1Char(' ')),
                   quotedEnv.join(QLatin1Char(' ')));
    return script.toUtf8();
}

QByteArray sharedArchive(const QByteArray &busybox, const QString &modulesDir)
{
    NewcArchive archive;
    for (const QString &directory : {QStringLiteral("bin"), QStringLiteral("dev"), QStringLiteral("etc"),
                                     QStringLiteral("proc"), QStringLiteral("sys"), QStringLiteral("tmp"),
                                     QStringLiteral("newroot"), QStringLiteral("lib"), QStringLiteral("lib/modules")})
        archive.addDirectory(directory, directory == QStringLiteral("tmp") ? 01777 : 0755);
    archive.addCharacterDevice(QStringLiteral("dev/console"), 5, 1);
    archive.addFile(QStringLiteral("bin/busybox"), busybox, 0755);
    archive.addSymlink(QStringLiteral("bin/sh"), QStringLiteral("busybox"));
    QByteArray udhcpc = TinyInitramfs::udhcpcScript();
    udhcpc.replace("Hamlet tiny VM address: ", "hamlet-init: address ");
    archive.addFile(QStringLiteral("etc/udhcpc.script"), udhcpc, 0755);
    const QList<TinyInitramfs::Module> modules = TinyInitramfs::modulesFor(
        modulesDir, {QStringLiteral("virtio_pci"), QStringLiteral("virtio_blk"), QStringLiteral("virtio_net")});
    for (const TinyInitramfs::Module &module : modules)
        archive.addFile(QStringLiteral("lib/modules/") + module.fileName, module.bytes, 0644);
    archive.addFile(QStringLiteral("init"), initScript(), 0755);
    return archive.finish();
}

QByteArray vmArchive(const RunConfig &config)
{
    NewcArchive archive;
    archive.addDirectory(QStringLiteral("hamlet"), 0755);
    const QString settings
        = QStringLiteral("HAMLET_HOSTNAME=%1\nHAMLET_NETWORK=%2\n")
              .arg(shellQuote(config.hostname), config.network ? QStringLiteral("yes") : QStringLiteral("no"));
    archive.addFile(QStringLiteral("hamlet/config"), settings.toUtf8(), 0644);
    archive.addFile(QStringLiteral("hamlet/run"), runScript(config), 0755);
    return archive.finish();
}

Result<void> writeVmPart(const QString &stateDir, const QString &name, const RunConfig &config)
{
    return writeFile(vmDir(stateDir) + QLatin1Char('/') + name + QStringLiteral(".run"), vmArchive(config));
}

Result<QString> assemble(const QString &stateDir, const QString &name, const QString &busyboxPath,
                         const QString &kernelPath)
{
    if (busyboxPath.isEmpty())
        return failure(Error::Unsupported,
                       QStringLiteral("No statically linked busybox was found, so an image cannot run as a VM; "
                                      "install the 'busybox-static' package."));
    QFile busybox(busyboxPath);
    if (!busybox.open(QIODevice::ReadOnly))
        return failure(Error::Failed, QStringLiteral("Cannot read %1: %2.").arg(busyboxPath, busybox.errorString()));
    const QString part = vmDir(stateDir) + QLatin1Char('/') + name + QStringLiteral(".run");
    QFile own(part);
    if (!own.open(QIODevice::ReadOnly))
        return failure(Error::Failed,
                       QStringLiteral("The VM \"%1\" lost its init settings (%2): delete it and create "
                                      "it again.")
                           .arg(name, part));
    const QString release = kernelReleaseOf(kernelPath);
    const QByteArray shared = sharedArchive(busybox.readAll(), QStringLiteral("/lib/modules/") + release);
    const QString path = vmDir(stateDir) + QLatin1Char('/') + name + QStringLiteral(".initrd");
    if (Result<void> written = writeFile(path, shared + own.readAll()); !written)
        return written.error();
    return path;
}

QString consoleLogPath(const QString &stateDir, const QString &name)
{
    return vmDir(stateDir) + QLatin1Char('/') + name + QStringLiteral(".console.log");
}

Outcome outcomeOf(const QByteArray &consoleLog)
{
    Outcome outcome;
    const QList<QByteArray> lines = consoleLog.split('\n');
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        const QString line = QString::fromUtf8(*it).remove(QLatin1Char('\r'));
        if (const qsizetype at = line.indexOf(FailedMarker); at >= 0) {
            outcome.failure = line.mid(at + FailedMarker.size()).trimmed();
            break;
        }
        if (const qsizetype at = line.indexOf(ExitedMarker); at >= 0 && outcome.exitCode < 0) {
            bool ok = false;
            const int code = line.mid(at + ExitedMarker.size()).trimmed().toInt(&ok);
            if (ok)
                outcome.exitCode = code;
            // keep looking: a failure is printed before the init's own exit line
        }
    }
    return outcome;
}

void removeVmFiles(const QString &stateDir, const QString &name)
{
    for (const QString &suffix : {QStringLiteral(".run"), QStringLiteral(".initrd"), QStringLiteral(".console.log")})
        QFile::remove(vmDir(stateDir) + QLatin1Char('/') + name + suffix);
}

} // namespace Hamlet::Vms::ImageInitramfs
