#include "vmlaunch.h"

#include "domainxml.h"
#include "logging.h"

#include <QDir>
#include <QFile>

#include <cerrno>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Hamlet::Vms {

namespace {

// The directory QEMU's user must traverse: root-owned, group QEMU's, nobody else.
Result<void> ensureGuestDir(const QString &path, gid_t group)
{
    if (!QDir().mkpath(path))
        return failure(Error::Failed, QStringLiteral("Cannot create the directory %1.").arg(path));
    const QByteArray encoded = QFile::encodeName(path);
    struct stat status {
    };
    if (::lstat(encoded.constData(), &status) != 0 || !S_ISDIR(status.st_mode)
        || ::chown(encoded.constData(), 0, group) != 0 || ::chmod(encoded.constData(), 0750) != 0)
        return failure(Error::Failed,
                       QStringLiteral("Cannot prepare the directory %1: %2.").arg(path, qt_error_string(errno)));
    return {};
}

} // namespace

VmFiles vmFilesOf(const VmSpec &spec)
{
    VmFiles files;
    files.name = spec.name;
    files.source = spec.source;
    files.ownerUid = spec.ownerUid;
    files.kernel = spec.kernelPath;
    files.initrd = spec.initrdPath;
    // An image VM's disks are Hamlet's own, named by path in the XML (an overlay with a backing
    // file, which an fd could not carry).
    files.disk = spec.source == VmSource::Image ? QString() : spec.diskPath;
    files.diskOwnedByHamlet = spec.diskOwnedByHamlet;
    files.iso = spec.isoPath;
    return files;
}

VmFiles vmFilesOf(const QString &name, const DomainFacts &facts, const QString &hostKernel,
                  const QString &helperInitramfs)
{
    VmFiles files;
    files.name = name;
    files.source = parseVmSource(facts.hamletSource).value_or(VmSource::Tiny);
    files.ownerUid = facts.ownerUid;
    if (files.source == VmSource::Tiny || files.source == VmSource::Image) {
        files.kernel = hostKernel;
        files.initrd = helperInitramfs;
        if (files.source == VmSource::Image)
            return files; // its disks are named by path (see above)
    } else {
        files.kernel = facts.givenKernel;
        files.initrd = facts.givenInitrd;
    }
    for (const DomainFacts::Disk &disk : facts.disks) {
        if (disk.device == QStringLiteral("cdrom"))
            files.iso = disk.source;
        else if (disk.device == QStringLiteral("disk"))
            files.disk = disk.source;
    }
    files.diskOwnedByHamlet = !facts.hamletOwnedDisk.isEmpty() && facts.hamletOwnedDisk == files.disk;
    return files;
}

QString guestFilesDirOf(const QString &guestFilesDir, const QString &name)
{
    return guestFilesDir + QLatin1Char('/') + name;
}

gid_t qemuGroupFor(bool embedded)
{
    if (embedded)
        return 0;
    const group *entry = ::getgrnam("libvirt-qemu");
    return entry ? entry->gr_gid : 0;
}

Result<OpenedVmFiles> openVmFiles(const VmFiles &files, const LaunchContext &context)
{
    // The helper's own files (the host kernel and initramfs of the tiny VM, the disk it made for an
    // ISO install) are opened as root; everything the owner named, as the owner.
    QList<OwnerFile> helperFiles;
    QList<OwnerFile> ownerFiles;
    const bool tiny = files.source == VmSource::Tiny || files.source == VmSource::Image;
    if (!files.kernel.isEmpty())
        (tiny ? helperFiles : ownerFiles) << OwnerFile {QStringLiteral("kernel"), files.kernel, false};
    if (!files.initrd.isEmpty())
        (tiny ? helperFiles : ownerFiles) << OwnerFile {QStringLiteral("initrd"), files.initrd, false};
    if (!files.disk.isEmpty())
        (files.diskOwnedByHamlet ? helperFiles : ownerFiles) << OwnerFile {QStringLiteral("disk"), files.disk, true};
    if (!files.iso.isEmpty())
        ownerFiles << OwnerFile {QStringLiteral("installer ISO"), files.iso, false};
    if (!ownerFiles.isEmpty() && !files.ownerUid)
        return failure(Error::InvalidArgument,
                       QStringLiteral("The VM \"%1\" was made before Hamlet recorded whose files a VM uses, so its "
                                      "files cannot be opened as their owner; create it again.")
                           .arg(files.name));

    Result<std::vector<UniqueFd>> ours = openAsOwner(0, helperFiles);
    if (!ours)
        return ours.error();
    Result<std::vector<UniqueFd>> theirs = openAsOwner(files.ownerUid.value_or(0), ownerFiles);
    if (!theirs)
        return theirs.error();
    // Back in one list, by key.
    QHash<QString, int> fdOf;
    std::vector<UniqueFd> all;
    for (auto [list, fds] : {std::pair {&helperFiles, &ours.value()}, std::pair {&ownerFiles, &theirs.value()}}) {
        for (qsizetype i = 0; i < list->size(); ++i) {
            fdOf.insert(list->at(i).key, static_cast<int>(all.size()));
            all.push_back(std::move((*fds)[static_cast<size_t>(i)]));
        }
    }

    OpenedVmFiles opened;
    if (fdOf.contains(QStringLiteral("disk"))) {
        UniqueFd &disk = all[static_cast<size_t>(fdOf.value(QStringLiteral("disk")))];
        if (std::optional<ErrorReply> problem = diskImageProblem(disk.get(), files.disk))
            return *problem;
        opened.diskFormat = detectDiskFormat(disk.get());
        opened.disk = std::move(disk);
    }
    if (fdOf.contains(QStringLiteral("installer ISO")))
        opened.cdrom = std::move(all[static_cast<size_t>(fdOf.value(QStringLiteral("installer ISO")))]);

    if (fdOf.contains(QStringLiteral("kernel"))) {
        const QString directory = guestFilesDirOf(context.guestFilesDir, files.name);
        for (const Result<void> &made :
             {ensureGuestDir(context.guestFilesDir, context.qemuGroup), ensureGuestDir(directory, context.qemuGroup)})
            if (!made)
                return made.error();
        for (const QString &key : {QStringLiteral("kernel"), QStringLiteral("initrd")}) {
            if (!fdOf.contains(key))
                continue;
            const int fd = all[static_cast<size_t>(fdOf.value(key))].get();
            if (Result<void> copied = copyToGuestFile(fd, directory + QLatin1Char('/') + key, context.qemuGroup, 0640);
                !copied)
                return copied.error();
        }
    }
    return opened;
}

Result<void> startWithFiles(virDomainPtr domain, OpenedVmFiles &files, const QString &name)
{
    for (auto [group, fd] : {std::pair {DiskFdGroup, &files.disk}, std::pair {CdromFdGroup, &files.cdrom}}) {
        if (!fd->valid())
            continue;
        int fds[1] = {fd->get()};
        // No seclabel flags: libvirt leaves the file's owner and mode as they are.
        if (virDomainFDAssociate(domain, group.toUtf8().constData(), 1, fds, 0) < 0)
            return lastLibvirtError(QStringLiteral("Cannot hand the files of the VM \"%1\" to libvirt").arg(name));
    }
    const int started = virDomainCreate(domain);
    // libvirt keeps its own copies (and QEMU its own): ours close now, whatever happened.
    files.disk.reset();
    files.cdrom.reset();
    if (started < 0)
        return lastLibvirtError(QStringLiteral("Cannot start the VM \"%1\"").arg(name));
    return {};
}

void removeGuestFiles(const LaunchContext &context, const QString &name)
{
    if (context.guestFilesDir.isEmpty() || name.isEmpty())
        return;
    QDir(guestFilesDirOf(context.guestFilesDir, name)).removeRecursively();
}

} // namespace Hamlet::Vms
