// Image imports: ImportImage of a docker save archive through D-Bus (until the job completes,
// layers checked and unpacked) against skopeo copy docker-archive: -> oci: + umoci unpack of the
// same file, in one run. The archive (~100 MB in 5 layers of 1 MiB files, half random, half
// text) is pushed to a local registry and saved from it with skopeo. Prints medians and the
// ratio; asserts nothing (this is not a test).
#include "benchsupport.h"
#include "clienttest.h"
#include "localregistry.h"
#include "testsystem.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QTemporaryDir>

#include <fcntl.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Bench;
using namespace Hamlet::Test;

namespace {

constexpr qsizetype MiB = 1024 * 1024;

// 20 files of 1 MiB: random bytes (incompressible) or repeated numbered text.
BuiltLayer benchLayer(int index, bool random)
{
    TestLayer layer {{}, Compression::Gzip};
    const QByteArray dir = "data" + QByteArray::number(index);
    layer.files << LayerFile::directory(dir);
    for (int file = 0; file < 20; ++file) {
        QByteArray content(MiB, Qt::Uninitialized);
        if (random) {
            QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(content.data()), MiB / 4);
        } else {
            const QByteArray line
                = "line of layer " + QByteArray::number(index) + " file " + QByteArray::number(file) + "\n";
            for (qsizetype at = 0; at < MiB; at += line.size())
                content.replace(at, std::min(line.size(), MiB - at), line.left(MiB - at));
        }
        layer.files << LayerFile::file(dir + "/f" + QByteArray::number(file), content);
    }
    if (index == 0)
        layer.files = busyboxFiles() + layer.files;
    return buildLayer(layer);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int rounds = qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS") > 0
        ? qEnvironmentVariableIntValue("HAMLET_BENCH_ROUNDS")
        : 5;
    if (::geteuid() != 0) {
        std::fprintf(stderr, "import_bench runs as root\n");
        return 1;
    }
    LocalRegistry registry;
    TestSystem system;
    if (!registry.start() || !system.startBus() || !system.startHelper()) {
        std::fprintf(stderr, "cannot start: %s%s\n", qPrintable(registry.error()), qPrintable(system.error()));
        return 1;
    }
    QList<BuiltLayer> layers;
    for (int index = 0; index < 5; ++index)
        layers << benchLayer(index, index % 2 == 1);
    const auto pushed = registry.pushBuiltImage(QStringLiteral("bench/archive"), QStringLiteral("1"), layers);
    QTemporaryDir work;
    const QString archive = work.filePath(QStringLiteral("saved.tar"));
    if (!pushed
        || timedRun(QStringLiteral("skopeo"),
                    {QStringLiteral("copy"), QStringLiteral("--quiet"), QStringLiteral("--src-tls-verify=false"),
                     QStringLiteral("docker://") + registry.hostPort() + QStringLiteral("/bench/archive:1"),
                     QStringLiteral("docker-archive:") + archive + QStringLiteral(":bench/archive:1")})
            < 0) {
        std::fprintf(stderr, "cannot make the archive: %s\n", qPrintable(registry.error()));
        return 1;
    }
    HelperClient client(system.busAddress());
    const QString layersDir = system.stateDir() + QStringLiteral("/images/layers/");
    std::printf("Image import of a docker save archive (%d rounds each, medians; %.0f MiB archive)\n", rounds,
                static_cast<double>(QFileInfo(archive).size()) / MiB);

    QList<double> hamlet;
    QList<double> peer;
    for (int round = 0; round < rounds; ++round) {
        QElapsedTimer timer;
        timer.start();
        const int fd = ::open(QFile::encodeName(archive).constData(), O_RDONLY | O_CLOEXEC);
        const auto job = QCoro::waitFor(client.importImage(fd, QStringLiteral("docker-archive"), {}));
        ::close(fd);
        QString failure;
        const QString path = valueOr(job, &failure);
        if (failure.isEmpty())
            valueOr(QCoro::waitFor(client.waitForJob(path)), &failure);
        if (!failure.isEmpty()) {
            std::fprintf(stderr, "ImportImage: %s\n", qPrintable(failure));
            return 1;
        }
        hamlet << static_cast<double>(timer.nsecsElapsed()) / 1e6;
        if (QDir(layersDir).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size() != layers.size()) {
            std::fprintf(stderr, "the import did not unpack every layer\n");
            return 1;
        }
        QCoro::waitFor(client.removeImage(QStringLiteral("docker.io/bench/archive:1")));
        if (!QDir(layersDir).isEmpty(QDir::Dirs | QDir::NoDotAndDotDot)) {
            std::fprintf(stderr, "RemoveImage left unpacked layers: the next round would not unpack\n");
            return 1;
        }

        QTemporaryDir peerWork;
        const double copied
            = timedRun(QStringLiteral("skopeo"),
                       {QStringLiteral("copy"), QStringLiteral("--quiet"), QStringLiteral("docker-archive:") + archive,
                        QStringLiteral("oci:") + peerWork.path() + QStringLiteral("/oci:big")});
        const double unpacked
            = timedRun(QStringLiteral("umoci"),
                       {QStringLiteral("unpack"), QStringLiteral("--image"),
                        peerWork.path() + QStringLiteral("/oci:big"), peerWork.path() + QStringLiteral("/bundle")});
        if (copied < 0 || unpacked < 0)
            return 1;
        peer << copied + unpacked;
    }
    row("Hamlet ImportImage until the job completes (layers unpacked)", median(hamlet), "ms");
    row("skopeo copy docker-archive: -> oci: + umoci unpack", median(peer), "ms");
    row("ratio Hamlet / (skopeo + umoci)", median(hamlet) / median(peer), "");
    return 0;
}
