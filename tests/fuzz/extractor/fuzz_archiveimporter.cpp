// libFuzzer target: ArchiveImporter over arbitrary bytes (the first byte picks docker-archive,
// oci-archive or rootfs), into a real image store in a sandbox directory with an "outside"
// canary beside it. Beyond crashes and leaks, it aborts when the importer breaks a promise: a
// failed import leaves the store exactly as it was, a successful one leaves an image that
// removing it and collecting garbage takes away completely, no temporary blob ever stays, and
// nothing appears outside the store.
#include "archiveimporter.h"
#include "fsutil.h"
#include "logging.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>

#include <cstdio>
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

using namespace Hamlet::Containers;

namespace {

const QString kBase = QStringLiteral("/tmp/hamlet-fuzz-import");
const QString kOutside = kBase + QStringLiteral("/outside");
const QString kCanary = kOutside + QStringLiteral("/canary");
const QByteArray kCanaryContent = "the canary must not change\n";

void require(bool ok, const char *promise)
{
    if (!ok) {
        std::fprintf(stderr, "ArchiveImporter broke a promise: %s\n", promise);
        std::abort();
    }
}

ImageStore &store()
{
    static ImageStore instance(kBase + QStringLiteral("/store"));
    return instance;
}

// Every path in the store with its size, and index.json's content.
QStringList snapshot()
{
    QStringList entries;
    QDirIterator it(store().root(), QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        if (it.fileName() != QStringLiteral("index.json"))
            entries << it.filePath() + QLatin1Char(' ') + QString::number(it.fileInfo().size());
    }
    entries.sort();
    entries << QString::fromUtf8(readSmallFile(store().root() + QStringLiteral("/index.json")));
    return entries;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    Hamlet::Log::setup("fuzz_archiveimporter", false);
    spdlog::set_level(spdlog::level::off);
    removeTree(kBase);
    require(QDir().mkpath(kOutside), "the sandbox can be made");
    QFile canary(kCanary);
    require(canary.open(QIODevice::WriteOnly) && canary.write(kCanaryContent) == kCanaryContent.size(),
            "the canary can be written");
    require(store().initialize().ok(), "the store can be made");
    LayerExtractor::Limits limits;
    limits.maxBytes = 4 * 1024 * 1024;
    limits.maxEntries = 4096;
    store().setLayerLimits(limits);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const formats[] = {"docker-archive", "oci-archive", "rootfs"};
    const auto request = ImportRequest::fromOptions(QString::fromLatin1(formats[data[0] % 3]),
                                                    {{QStringLiteral("name"), QStringLiteral("fuzzed")}});
    require(request.ok(), "the request is valid");
    UniqueFd archive(::memfd_create("archive", MFD_CLOEXEC));
    for (size_t written = 1; written < size;) {
        const ssize_t n = ::write(archive.get(), data + written, size - written);
        require(n > 0, "the memfd takes the input");
        written += static_cast<size_t>(n);
    }
    ::lseek(archive.get(), 0, SEEK_SET);

    const QStringList before = snapshot();
    ImportProgress progress;
    ArchiveImporter::Limits limits;
    limits.maxArchiveBytes = 16 * 1024 * 1024;
    limits.maxBlobBytes = store().layerLimits().maxBytes;
    ArchiveImporter importer(store(), *request, limits, progress);
    const Result<ImageInfo> image = importer.run(archive.get());
    if (image.ok()) {
        require(store().removeImage(image->name).ok(), "an imported image can be removed");
        store().garbageCollect({});
    }
    if (const QStringList after = snapshot(); after != before) {
        std::fprintf(stderr, "before:\n%s\nafter:\n%s\n", qPrintable(before.join(QLatin1Char('\n'))),
                     qPrintable(after.join(QLatin1Char('\n'))));
        require(false, "the store is as it was (after removing a successful import)");
    }
    require(QDir(kOutside).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System)
                == QStringList {QStringLiteral("canary")},
            "nothing is written outside the store");
    require(readSmallFile(kCanary) == kCanaryContent, "the canary keeps its content");
    return 0;
}
