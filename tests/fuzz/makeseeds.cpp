// Writes the fuzzer's seed corpus: small nasty layer archives aimed at the fuzz target's sandbox
// (/tmp/hamlet-fuzz/outside/canary), made here rather than checked in as binaries.
//   hamlet-fuzz-seeds DIR
#include "tarbuilder.h"

#include <QDir>
#include <QFile>

#include <cstdio>

using namespace Hamlet::Test;

int main(int argc, char *argv[])
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: hamlet-fuzz-seeds DIR\n");
        return 2;
    }
    const QString dir = QString::fromLocal8Bit(argv[1]);
    QDir().mkpath(dir);
    const QByteArray outside = "/tmp/hamlet-fuzz/outside";
    QByteArray longPath;
    while (longPath.size() <= 4200)
        longPath += QByteArray(120, 'd') + '/';
    const QByteArray gz = makeTar({{"big", AE_IFREG, QByteArray(100000, 'x')}}, TarCompression::Gzip);
    const QList<std::pair<const char *, QByteArray>> seeds {
        {"ordinary.tar",
         makeTar({{"bin", AE_IFDIR, {}, {}, false, 0755},
                  {"bin/busybox", AE_IFREG, "ELF", {}, false, 04755},
                  {"bin/sh", AE_IFLNK, {}, "busybox"},
                  {"bin/ash", AE_IFREG, {}, "bin/busybox", true}})},
        {"ordinary.tar.gz", makeTar({{"etc/hosts", AE_IFREG, "127.0.0.1 localhost\n"}}, TarCompression::Gzip)},
        {"ordinary.tar.zst", makeTar({{"etc/motd", AE_IFREG, "hi\n"}}, TarCompression::Zstd)},
        {"absolute.tar", makeTar({{outside + "/absolute", AE_IFREG, "x"}})},
        {"dotdot.tar", makeTar({{"../outside/dotdot", AE_IFREG, "x"}, {"a/../../outside/x", AE_IFREG, "x"}})},
        {"symlink-absolute.tar", makeTar({{"esc", AE_IFLNK, {}, outside}, {"esc/through", AE_IFREG, "x"}})},
        {"symlink-relative.tar", makeTar({{"esc", AE_IFLNK, {}, "../outside"}, {"esc/through", AE_IFREG, "x"}})},
        {"symlink-root.tar", makeTar({{"root", AE_IFLNK, {}, "/"}, {"root" + outside + "/x", AE_IFREG, "x"}})},
        {"symlink-over-canary.tar", makeTar({{"c", AE_IFLNK, {}, outside + "/canary"}, {"c", AE_IFREG, "overwrite"}})},
        {"hardlink-outside.tar",
         makeTar({{"h1", AE_IFREG, {}, outside + "/canary", true}, {"h2", AE_IFREG, {}, "../outside/canary", true}})},
        {"hardlink-through-symlink.tar",
         makeTar({{"esc", AE_IFLNK, {}, "../outside"}, {"h", AE_IFREG, {}, "esc/canary", true}})},
        {"dir-then-symlink.tar",
         makeTar({{"d", AE_IFDIR, {}, {}, false, 0755}, {"d", AE_IFLNK, {}, "../outside"}, {"d/x", AE_IFREG, "x"}})},
        {"devices.tar", makeTar({{"dev/null", AE_IFCHR}, {"dev/sda", AE_IFBLK}, {"dev/fifo", AE_IFIFO}})},
        {"long-path.tar", makeTar({{longPath + "file", AE_IFREG, "x"}})},
        {"whiteouts.tar",
         makeTar({{"etc", AE_IFDIR, {}, {}, false, 0755},
                  {"etc/.wh.motd", AE_IFREG},
                  {"var/.wh..wh..opq", AE_IFREG},
                  {".wh..", AE_IFREG},
                  {".wh.", AE_IFREG}})},
        {"truncated.tar.gz", gz.left(gz.size() / 2)},
        {"bomb.tar.gz", makeTar({{"zeros", AE_IFREG, QByteArray(8 * 1024 * 1024, '\0')}}, TarCompression::Gzip)},
    };
    for (const auto &[name, data] : seeds) {
        QFile file(dir + QLatin1Char('/') + QLatin1String(name));
        if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size()) {
            std::fprintf(stderr, "cannot write %s\n", name);
            return 1;
        }
    }
    std::printf("%lld seeds in %s\n", static_cast<long long>(seeds.size()), argv[1]);
    return 0;
}
