// Image pulls: PullImage through D-Bus (until the job completes, layers unpacked) against
// skopeo copy to an OCI directory + umoci unpack of the same image, from the same local
// docker-registry, in one run. The image: ~100 MB unpacked in 5 layers, 3 of random
// (incompressible) data and 2 of compressible text. Prints medians and the ratio; asserts
// nothing (this is not a test).
#include "benchsupport.h"
#include "clienttest.h"
#include "localregistry.h"
#include "testsystem.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>

#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Bench;
using namespace Hamlet::Test;

namespace {

constexpr qsizetype MiB = 1024 * 1024;

QByteArray randomBytes(qsizetype size)
{
    QByteArray data(size, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(data.data()), size / 4);
    return data;
}

// Text that gzip shrinks about 4x: numbered lines with some random words.
QByteArray compressibleBytes(qsizetype size)
{
    static const char *words[] = {"apartment", "house", "layer", "overlay", "registry", "digest", "tar", "hamlet"};
    QByteArray data;
    data.reserve(size);
    for (quint32 line = 0; data.size() < size; ++line) {
        data += QByteArray::number(line) + ' ';
        for (int i = 0; i < 8; ++i)
            data += QByteArray(words[QRandomGenerator::global()->bounded(8)]) + ' ';
        data += '\n';
    }
    data.truncate(size);
    return data;
}

// Files of 1 MiB each, so that unpacking does real file work, not one huge write.
TestLayer layerOf(const QByteArray &name, qsizetype megabytes, bool random)
{
    TestLayer layer;
    layer.files << LayerFile::directory(name);
    for (qsizetype i = 0; i < megabytes; ++i)
        layer.files << LayerFile::file(name + "/f" + QByteArray::number(i),
                                       random ? randomBytes(MiB) : compressibleBytes(MiB));
    return layer;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int rounds = qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS") > 0
        ? qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS")
        : 5;
    if (::geteuid() != 0) {
        std::fprintf(stderr, "pull_bench runs as root\n");
        return 1;
    }
    LocalRegistry registry;
    TestSystem system;
    if (!registry.start() || !system.startBus() || !system.startHelper()) {
        std::fprintf(stderr, "cannot start: %s%s\n", qPrintable(registry.error()), qPrintable(system.error()));
        return 1;
    }
    QList<TestLayer> layers {layerOf("base", 4, false), layerOf("random1", 24, true), layerOf("random2", 24, true),
                             layerOf("text", 24, false), layerOf("random3", 24, true)};
    layers[0].files = busyboxFiles() + layers[0].files;
    QList<BuiltLayer> built;
    for (const TestLayer &layer : layers)
        built << buildLayer(layer);
    const auto pushed = registry.pushBuiltImage(QStringLiteral("bench/big"), QStringLiteral("1"), built);
    if (!pushed) {
        std::fprintf(stderr, "push failed: %s\n", qPrintable(registry.error()));
        return 1;
    }
    const QString reference = registry.hostPort() + QStringLiteral("/bench/big:1");
    HelperClient client(system.busAddress());
    const QString layersDir = system.stateDir() + QStringLiteral("/images/layers/");
    std::printf("Image pull + unpack (%d rounds each, medians; %d layers, ~100 MB unpacked, local registry)\n", rounds,
                static_cast<int>(layers.size()));

    QList<double> hamlet;
    QList<double> peer;
    QList<double> skopeo;
    QList<double> umoci;
    for (int round = 0; round < rounds; ++round) {
        // Hamlet: from an empty store each round (RemoveImage frees the blobs and layers).
        QElapsedTimer timer;
        timer.start();
        const auto job = QCoro::waitFor(client.pullImage(reference, {}));
        QString failure;
        const QString path = valueOr(job, &failure);
        if (failure.isEmpty())
            valueOr(QCoro::waitFor(client.waitForJob(path)), &failure);
        if (!failure.isEmpty()) {
            std::fprintf(stderr, "PullImage: %s\n", qPrintable(failure));
            return 1;
        }
        hamlet << static_cast<double>(timer.nsecsElapsed()) / 1e6;
        // Fair only if every round unpacked every layer: they are there now, and RemoveImage
        // above must have removed them.
        for (const QString &diffId : pushed->diffIds) {
            if (!QFileInfo(layersDir + diffId.mid(7)).isDir()) {
                std::fprintf(stderr, "layer %s was not unpacked\n", qPrintable(diffId));
                return 1;
            }
        }
        QCoro::waitFor(client.removeImage(reference));
        if (!QDir(layersDir).isEmpty(QDir::Dirs | QDir::NoDotAndDotDot)) {
            std::fprintf(stderr, "RemoveImage left unpacked layers: the next round would not unpack\n");
            return 1;
        }

        // The peers: skopeo copy to an OCI layout, then umoci unpack to a bundle.
        QTemporaryDir work;
        const QString layout = work.path() + QStringLiteral("/oci:big");
        const double copied
            = timedRun(QStringLiteral("skopeo"),
                       {QStringLiteral("copy"), QStringLiteral("--quiet"), QStringLiteral("--src-tls-verify=false"),
                        QStringLiteral("docker://") + reference, QStringLiteral("oci:") + layout});
        const double unpacked
            = timedRun(QStringLiteral("umoci"),
                       {QStringLiteral("unpack"), QStringLiteral("--image"), work.path() + QStringLiteral("/oci:big"),
                        work.path() + QStringLiteral("/bundle")});
        if (copied < 0 || unpacked < 0)
            return 1;
        skopeo << copied;
        umoci << unpacked;
        peer << copied + unpacked;
    }
    double blobBytes = 0;
    for (const BuiltLayer &layer : built)
        blobBytes += static_cast<double>(layer.blob.size());
    row("layer blobs (compressed)", blobBytes / MiB, "MiB");
    row("Hamlet PullImage until the job completes (layers unpacked)", median(hamlet), "ms");
    row("skopeo copy docker:// -> oci:", median(skopeo), "ms");
    row("umoci unpack", median(umoci), "ms");
    row("skopeo copy + umoci unpack", median(peer), "ms");
    row("ratio Hamlet / (skopeo + umoci)  (target <= 1.0)", median(hamlet) / median(peer), "");
    return 0;
}
