// VmInstances: virtual machines made from an image of the store (source=image).
#include "vminstances.h"

#include "errors.h"
#include "imagedisk.h"
#include "imageinitramfs.h"
#include "logging.h"

#include <QFile>

namespace Hamlet {

Expected<QString> VmInstances::resolveImage(const QString &reference) const
{
    if (!m_images)
        return ErrorReply {Error::Unsupported,
                           QStringLiteral("Images need the container backend, which is unavailable on this host (no "
                                          "OCI runtime): install 'runc'.")};
    const Containers::Result<QString> name = m_images->resolveImage(reference);
    if (!name)
        return name.error();
    return *name;
}

QCoro::Task<Outcome> VmInstances::resolveImageRun(Vms::VmSpec &vm)
{
    const Expected<QString> name = resolveImage(vm.image);
    if (!name.ok())
        co_return name.error();
    const Containers::Result<Containers::ContainerBackend::PreparedImage> prepared
        = co_await m_images->prepareImage(name.value());
    if (!prepared)
        co_return prepared.error();
    const Containers::ImageConfig &config = prepared->image.config;
    // As a container of the image would run: the entrypoint, then the command given or the Cmd.
    vm.imageArgv = config.entrypoint + (vm.command.isEmpty() ? config.cmd : vm.command);
    if (vm.imageArgv.isEmpty())
        co_return ErrorReply {Error::InvalidArgument,
                              QStringLiteral("The image \"%1\" names no program to run (no Entrypoint or Cmd): "
                                             "give the VM a command.")
                                  .arg(name.value())};
    vm.imageDigest = prepared->image.manifestDigest;
    vm.imageLayers = prepared->layersBottomFirst;
    vm.imageEnv = config.env;
    vm.imageWorkdir = config.workingDir;
    co_return std::nullopt;
}

QStringList VmInstances::vmsUsing(const QString &manifestDigest) const
{
    QStringList users;
    for (const InstanceInfo &info : m_known) {
        if (info.spec.value(QStringLiteral("imageDigest")).toString() == manifestDigest)
            users << info.name;
    }
    users.sort();
    return users;
}

void VmInstances::dropImageDisk(const QString &manifestDigest)
{
    const QString path = Vms::ImageDisk::baseDiskPath(m_backend.options().stateDir, manifestDigest);
    if (QFile::exists(path) && QFile::remove(path))
        Log::vms()->info("removed the ext4 disk {} of a removed image", path);
}

VmInstances::ImageVmOutcome VmInstances::imageOutcome(const InstanceInfo &info) const
{
    if (info.spec.value(QStringLiteral("source")).toString() != QLatin1String("image"))
        return {};
    QFile log(Vms::ImageInitramfs::consoleLogPath(m_backend.options().stateDir, info.name));
    if (!log.open(QIODevice::ReadOnly))
        return {};
    // The markers are the init's last words: the end of the log is enough.
    constexpr qint64 Tail = 64 * 1024;
    if (log.size() > Tail)
        log.seek(log.size() - Tail);
    const Vms::ImageInitramfs::Outcome outcome = Vms::ImageInitramfs::outcomeOf(log.readAll());
    return {outcome.failure.isEmpty()
                ? QString()
                : QStringLiteral("The VM \"%1\" could not run its program: %2").arg(info.name, outcome.failure),
            outcome.exitCode};
}

void VmInstances::announceStart(const QString &name, const QString &source, bool creating)
{
    if (source != QLatin1String("image")) {
        Q_EMIT startBegins(name, creating, {},
                           QStringLiteral("only a VM made from an image keeps its console in a log to time"));
        return;
    }
    const QString log = Vms::ImageInitramfs::consoleLogPath(m_backend.options().stateDir, name);
    if (QFile::exists(log))
        QFile::resize(log, 0);
    Q_EMIT startBegins(name, creating, log, {});
}

} // namespace Hamlet
