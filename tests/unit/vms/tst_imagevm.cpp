// The pure parts of an image VM (issue 21): the init's scripts and markers, the layer merge that
// feeds mkfs.ext4 -d (whiteouts, opaque directories, owners), and the domain XML of its disk.
#include "domainxml.h"
#include "imagedisk.h"
#include "imageinitramfs.h"
#include "vmspec.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

using namespace Hamlet;
using namespace Hamlet::Vms;

namespace {
bool write(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}
} // namespace

class TestImageVm : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void shellQuote_survivesQuotes()
    {
        const QString text = QStringLiteral("it's $HOME `x` \"y\"");
        QProcess sh;
        sh.start(QStringLiteral("sh"),
                 {QStringLiteral("-c"), QStringLiteral("printf %s ") + ImageInitramfs::shellQuote(text)});
        QVERIFY(sh.waitForFinished());
        QCOMPARE(QString::fromUtf8(sh.readAllStandardOutput()), text);
    }

    // The run script, run by the host's sh in a fake root: it finds programs in the image's PATH,
    // refuses a missing one with the failure marker, and execs with the image's env only.
    void runScript_looksUpTheProgramAndSaysWhenItIsMissing()
    {
        const ImageInitramfs::RunConfig missing {QStringLiteral("vm1"), {QStringLiteral("/no/such")}, {}, {}, false};
        QProcess sh;
        sh.start(QStringLiteral("sh"), {QStringLiteral("-c"), QString::fromUtf8(ImageInitramfs::runScript(missing))});
        QVERIFY(sh.waitForFinished());
        QCOMPARE(sh.exitCode(), 127);
        const QByteArray out = sh.readAllStandardOutput();
        QVERIFY2(out.startsWith("hamlet-init: failed: the image's entrypoint \"/no/such\" does not exist in the image"),
                 out.constData());
        const ImageInitramfs::RunConfig noDir {
            QStringLiteral("vm1"), {QStringLiteral("sh")}, {}, QStringLiteral("/no/dir"), false};
        sh.start(QStringLiteral("sh"), {QStringLiteral("-c"), QString::fromUtf8(ImageInitramfs::runScript(noDir))});
        QVERIFY(sh.waitForFinished());
        QVERIFY(
            sh.readAllStandardOutput().contains("hamlet-init: failed: the working directory /no/dir does not exist"));
        QVERIFY(ImageInitramfs::runScript(missing).contains("'PATH=" + ImageInitramfs::DefaultPath.toUtf8() + "'"));
    }

    // Compare times the program's first line from the marker: it comes right before the program.
    void init_marksWhereTheProgramsOutputBegins()
    {
        const QByteArray script = ImageInitramfs::initScript();
        const qsizetype marker
            = script.indexOf("echo \"" + ImageInitramfs::ProgramMarker.toUtf8() + "\" >/dev/ttyS0\n");
        QVERIFY(marker > 0);
        QCOMPARE(script.indexOf("setsid cttyhack chroot"), script.indexOf('\n', marker) + 1);
    }

    void outcome_isReadFromTheInitsLastWords()
    {
        auto outcome = ImageInitramfs::outcomeOf("boot\r\nhamlet-init: failed: the image's entrypoint \"/x\" does not "
                                                 "exist\r\nhamlet-init: exited 127\r\n");
        QCOMPARE(outcome.failure, QStringLiteral("the image's entrypoint \"/x\" does not exist"));
        QCOMPARE(outcome.exitCode, 127);
        outcome = ImageInitramfs::outcomeOf("hello\nhamlet-init: exited 3\n");
        QCOMPARE(outcome.failure, QString());
        QCOMPARE(outcome.exitCode, 3);
        outcome = ImageInitramfs::outcomeOf("killed before the end\n");
        QCOMPARE(outcome.exitCode, -1); // not said: unknown, not 0
    }

    void mergeLayers_appliesWhiteoutsOpaqueDirsAndOwners()
    {
        QVERIFY2(::geteuid() == 0, "whiteouts are device nodes: run as root");
        QTemporaryDir dir;
        const QString lower = dir.filePath(QStringLiteral("lower"));
        const QString upper = dir.filePath(QStringLiteral("upper"));
        const QString merged = dir.filePath(QStringLiteral("merged"));
        QVERIFY(write(lower + QStringLiteral("/etc/gone"), "x") && write(lower + QStringLiteral("/etc/kept"), "k"));
        QVERIFY(write(lower + QStringLiteral("/opaque/old"), "o")
                && write(lower + QStringLiteral("/file-then-dir"), "f"));
        QVERIFY(::chown(QFile::encodeName(lower + QStringLiteral("/etc/kept")).constData(), 1234, 5678) == 0);
        QVERIFY(write(upper + QStringLiteral("/opaque/new"), "n")
                && write(upper + QStringLiteral("/file-then-dir/x"), "d"));
        QVERIFY(QDir().mkpath(upper + QStringLiteral("/etc")));
        QVERIFY(::mknod(QFile::encodeName(upper + QStringLiteral("/etc/gone")).constData(), S_IFCHR, makedev(0, 0))
                == 0);
        QVERIFY(::lsetxattr(QFile::encodeName(upper + QStringLiteral("/opaque")).constData(), "trusted.overlay.opaque",
                            "y", 1, 0)
                == 0);
        QVERIFY(QDir().mkpath(merged));
        QVERIFY(ImageDisk::mergeLayers({lower, upper}, merged).ok());
        QVERIFY(!QFileInfo::exists(merged + QStringLiteral("/etc/gone")));
        QVERIFY(QFileInfo::exists(merged + QStringLiteral("/etc/kept")));
        QCOMPARE(QFileInfo(merged + QStringLiteral("/etc/kept")).ownerId(), 1234u);
        QVERIFY(!QFileInfo::exists(merged + QStringLiteral("/opaque/old")));
        QVERIFY(QFileInfo::exists(merged + QStringLiteral("/opaque/new")));
        QVERIFY(QFileInfo(merged + QStringLiteral("/file-then-dir")).isDir());
        // Hard links: nothing copied; the layers are left as they were.
        QVERIFY(QFileInfo::exists(lower + QStringLiteral("/etc/gone")));
    }

    void domainXml_namesTheOverlayOverTheSharedDiskAndTheConsoleLog()
    {
        VmSpec spec;
        spec.name = QStringLiteral("web");
        spec.source = VmSource::Image;
        spec.memoryBytes = 256ULL << 20;
        spec.vcpus = 1;
        spec.kernelPath = QStringLiteral("/boot/vmlinuz");
        spec.initrdPath = QStringLiteral("/state/vms/image-vms/web.initrd");
        spec.cmdline = ImageInitramfs::KernelCommandLine;
        spec.diskPath = QStringLiteral("/state/vms/disks/web.qcow2");
        spec.baseDiskPath = QStringLiteral("/state/vms/images/abc.ext4");
        spec.diskOwnedByHamlet = true;
        spec.image = QStringLiteral("busybox");
        spec.imageDigest = QStringLiteral("sha256:abc");
        spec.consoleLog = QStringLiteral("/state/vms/image-vms/web.console.log");
        const QString xml = domainXml(spec);
        QVERIFY(xml.contains(QStringLiteral("<source file=\"/state/vms/disks/web.qcow2\"/>")));
        QVERIFY(xml.contains(QStringLiteral("<backingStore type=\"file\">")));
        QVERIFY(xml.contains(QStringLiteral("<source file=\"/state/vms/images/abc.ext4\"/>")));
        QVERIFY(!xml.contains(QStringLiteral("fdgroup")));
        QVERIFY(xml.contains(QStringLiteral("<log file=\"/state/vms/image-vms/web.console.log\" append=\"off\"/>")));
        QVERIFY(xml.contains(QStringLiteral("<hamlet:imageDigest>sha256:abc</hamlet:imageDigest>")));
    }

    void spec_imageKeys()
    {
        QVariantMap map {{QStringLiteral("source"), QStringLiteral("image")},
                         {QStringLiteral("image"), QStringLiteral("busybox")},
                         {QStringLiteral("cpus"), 1.5}};
        const Result<VmSpec> spec = vmSpecFromVariantMap(QStringLiteral("a"), map, Accelerator::Tcg);
        QVERIFY(spec.ok());
        QCOMPARE(spec.value().vcpus, 2u);
        QVERIFY(spec.value().source == VmSource::Image);
        map.insert(QStringLiteral("cpus"), QStringLiteral("2"));
        QCOMPARE(vmSpecFromVariantMap(QStringLiteral("a"), map, Accelerator::Tcg).error().name, Error::InvalidArgument);
        const QVariantMap tinyWithCommand {{QStringLiteral("command"), QStringList {QStringLiteral("x")}}};
        QCOMPARE(vmSpecFromVariantMap(QStringLiteral("a"), tinyWithCommand, Accelerator::Tcg).error().name,
                 Error::InvalidArgument);
    }
};

QTEST_GUILESS_MAIN(TestImageVm)
#include "tst_imagevm.moc"
