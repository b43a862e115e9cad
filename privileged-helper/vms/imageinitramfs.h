#pragma once

#include "result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace Hamlet::Vms {

// The initramfs of an image VM: the host's static busybox, the virtio modules of the host's
// kernel, and an /init that mounts /proc, /sys and /dev, waits for the image's disk (/dev/vda),
// mounts it, sets the hostname, asks for an address with udhcpc when the VM has a NIC, mounts
// /proc, /sys, /dev (pts, shm) inside the image's root and runs the image's program there with its
// env and working directory, on the serial console as its controlling terminal. The init stays
// PID 1 outside the image's root (a copy of busybox in the image's /dev/.hamlet does the chroot,
// cd and exec), so it sees the program end: it prints a marker with the exit status and powers
// the VM off. A program that is not in the image is said in a failure marker instead; the helper
// reads both from the console's log (VmInstances).
//
// Two cpio archives, one after the other (the kernel unpacks both): the shared part, rebuilt at
// every start from the current busybox and kernel modules, and the VM's own part (/hamlet/config
// and /hamlet/run), written once at create.
namespace ImageInitramfs {

// Besides the console: what the host's general-purpose kernel would spend seconds on under TCG and
// a micro-VM does not need: the BIOS disk probe (edd), the crypto self-tests, the TSC checks
// (the guest lives for one program), the PS/2 controller and the spare serial ports.
inline const QString KernelCommandLine = QStringLiteral(
    "console=ttyS0 quiet panic=-1 edd=off cryptomgr.notests tsc=reliable no_timer_check i8042.noaux i8042.nokbd "
    "i8042.nopnp i8042.dumbkbd 8250.nr_uarts=1 random.trust_cpu=on");
inline const QString FailedMarker = QStringLiteral("hamlet-init: failed: ");
// Printed just before the program runs: its first line of output is the next one.
inline const QString ProgramMarker = QStringLiteral("hamlet-init: program starts");
inline const QString ExitedMarker = QStringLiteral("hamlet-init: exited ");
// What a program is given as PATH when the image's Env names none (as the container runtimes do).
inline const QString DefaultPath = QStringLiteral("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

struct RunConfig {
    QString hostname;
    QStringList argv; // entrypoint + cmd, not empty
    QStringList env; // "KEY=value"
    QString workdir; // "" is /
    bool network = false;
};

QString shellQuote(const QString &text);
QByteArray initScript();
// /hamlet/run: run by the image's copy of busybox inside the image's root.
QByteArray runScript(const RunConfig &config);
QByteArray sharedArchive(const QByteArray &busybox, const QString &modulesDir);
QByteArray vmArchive(const RunConfig &config);

// STATE/vms/image-vms/NAME.run: the VM's part, written at create.
Result<void> writeVmPart(const QString &stateDir, const QString &name, const RunConfig &config);
// Both parts into STATE/vms/image-vms/NAME.initrd (for this start), whose path it returns.
Result<QString> assemble(const QString &stateDir, const QString &name, const QString &busyboxPath,
                         const QString &kernelPath);
void removeVmFiles(const QString &stateDir, const QString &name);
// Where the VM's serial console is kept (STATE/vms/image-vms/NAME.console.log).
QString consoleLogPath(const QString &stateDir, const QString &name);

// What the init said last in a console log: a failure (with its reason) or the program's exit.
struct Outcome {
    QString failure; // "" when none
    int exitCode = -1; // -1 when the init did not say
};
Outcome outcomeOf(const QByteArray &consoleLog);

} // namespace ImageInitramfs

} // namespace Hamlet::Vms
