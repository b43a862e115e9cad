// libFuzzer target: LayerExtractor::extractFd over arbitrary bytes, inside a sandbox directory
// holding the layer's destination and, beside it, an "outside" directory with a canary file.
// Beyond crashes and leaks (AddressSanitizer), every input must keep the extractor's promises,
// or the target aborts: nothing appears outside the destination, the canary keeps its content
// and link count, and a failed unpack leaves neither the destination nor its staging dir.
// The seeds (tests/fuzz/makeseeds.cpp) aim at the sandbox's fixed paths.
#include "fsutil.h"
#include "layerextractor.h"
#include "logging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cstdio>
#include <cstdlib>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Hamlet::Containers;

namespace {

const QString kBase = QStringLiteral("/tmp/hamlet-fuzz");
const QString kOutside = kBase + QStringLiteral("/outside");
const QString kCanary = kOutside + QStringLiteral("/canary");
const QString kDestination = kBase + QStringLiteral("/layer");
const QByteArray kCanaryContent = "the canary must not change\n";

void require(bool ok, const char *promise)
{
    if (!ok) {
        std::fprintf(stderr, "LayerExtractor broke a promise: %s\n", promise);
        std::abort();
    }
}

QStringList entries(const QString &dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System, QDir::Name);
}

void prepareSandbox()
{
    removeTree(kBase);
    require(QDir().mkpath(kOutside), "the sandbox can be made");
    QFile canary(kCanary);
    require(canary.open(QIODevice::WriteOnly) && canary.write(kCanaryContent) == kCanaryContent.size(),
            "the canary can be written");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    Hamlet::Log::setup("fuzz_layerextractor", false);
    spdlog::set_level(spdlog::level::off); // a refusal per input is the normal case here
    prepareSandbox();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    UniqueFd archive(::memfd_create("layer", MFD_CLOEXEC));
    require(archive.valid(), "memfd_create works");
    for (size_t written = 0; written < size;) {
        const ssize_t n = ::write(archive.get(), data + written, size - written);
        require(n > 0, "the memfd takes the input");
        written += static_cast<size_t>(n);
    }
    ::lseek(archive.get(), 0, SEEK_SET);

    LayerExtractor::Limits limits;
    limits.maxBytes = 4 * 1024 * 1024; // the bomb seed inflates past this
    limits.maxEntries = 4096;
    const auto result = LayerExtractor::extractFd(archive.get(), kDestination, limits);

    require(entries(kOutside) == QStringList {QStringLiteral("canary")}, "nothing is written outside the layer");
    struct stat canary {
    };
    require(::lstat(QFile::encodeName(kCanary).constData(), &canary) == 0 && S_ISREG(canary.st_mode)
                && canary.st_nlink == 1,
            "the canary is neither replaced nor hardlinked");
    require(readSmallFile(kCanary) == kCanaryContent, "the canary keeps its content");
    require(!QFileInfo::exists(LayerExtractor::stagingPathFor(kDestination)), "no staging dir is left");
    if (!result.ok())
        require(!QFileInfo::exists(kDestination), "a refused layer leaves no destination");
    removeTree(kDestination);
    require(entries(kBase) == QStringList {QStringLiteral("outside")}, "nothing is written beside the layer");
    return 0;
}
