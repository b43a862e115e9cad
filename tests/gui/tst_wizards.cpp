// The New container and New VM wizards before Finish: what they check as you type and the spec
// they would send. No helper is needed until Finish (tst_acceptance covers Finish).
#include "containerwizard.h"
#include "filepicker.h"
#include "formpage.h"
#include "helperclient.h"
#include "namefield.h"
#include "networkpage.h"
#include "vmwizard.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QComboBox>
#include <QDBusUnixFileDescriptor>
#include <QDir>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTemporaryFile>
#include <QTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Hamlet;

namespace {
constexpr qulonglong MiB = 1024ULL * 1024ULL;

Capabilities host()
{
    Capabilities caps;
    caps.busybox = QStringLiteral("/usr/bin/busybox");
    caps.runtime = QStringLiteral("/usr/sbin/runc");
    caps.kernel = QStringLiteral("/boot/vmlinuz");
    caps.virtualization = QStringLiteral("tcg");
    caps.hostCpus = 2;
    caps.hostMemory = 2048 * MiB;
    return caps;
}

QString outputPath(const QString &name)
{
    const QString dir = qEnvironmentVariable("HAMLET_TEST_OUTPUT", QDir::tempPath());
    QDir().mkpath(dir);
    return dir + QLatin1Char('/') + name;
}

void typeInto(QLineEdit *edit, const QString &text)
{
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}
} // namespace

class TestWizards : public QObject
{
    Q_OBJECT
private:
    // Never called before Finish; a bus address nobody listens on makes sure of it.
    HelperClient m_client {QStringLiteral("unix:path=/nonexistent/hamlet-test-bus")};

private Q_SLOTS:
    void containerWizard_flagsABadNameAsYouType()
    {
        ContainerWizard wizard(&m_client, host(), QStringLiteral("apartment1"));
        wizard.show();
        QVERIFY(QTest::qWaitForWindowExposed(&wizard));
        QVERIFY(wizard.setupPage()->isComplete());
        QAbstractButton *next = wizard.button(QWizard::NextButton);
        QVERIFY(next->isEnabled());

        typeInto(wizard.nameField()->lineEdit(), QStringLiteral("web/1"));
        auto *problem = wizard.findChild<QLabel *>(QStringLiteral("nameProblem"));
        QVERIFY(problem->isVisible());
        QVERIFY2(!problem->text().isEmpty(), "the wizard says what is wrong with the name");
        QVERIFY(!next->isEnabled());
        QVERIFY(!wizard.setupPage()->isComplete());

        typeInto(wizard.nameField()->lineEdit(), QStringLiteral("-web"));
        QVERIFY(!next->isEnabled());
        typeInto(wizard.nameField()->lineEdit(), QStringLiteral("web1"));
        QVERIFY(!problem->isVisible());
        QVERIFY(next->isEnabled());
    }

    void containerWizard_flagsAMemorySizeItCannotRead()
    {
        ContainerWizard wizard(&m_client, host(), QStringLiteral("apartment1"));
        wizard.show();
        QVERIFY(QTest::qWaitForWindowExposed(&wizard));
        wizard.next();
        QCOMPARE(wizard.currentPage(), wizard.limitsPage());
        QVERIFY(wizard.limitsPage()->isComplete());
        typeInto(wizard.memoryEdit(), QStringLiteral("lots"));
        QVERIFY(!wizard.limitsPage()->isComplete());
        QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
        typeInto(wizard.memoryEdit(), QStringLiteral("2 MiB"));
        QVERIFY(!wizard.limitsPage()->isComplete()); // below the helper's 4 MiB floor
        typeInto(wizard.memoryEdit(), QStringLiteral("64 GiB"));
        QVERIFY(!wizard.limitsPage()->isComplete()); // more than this host has
        typeInto(wizard.memoryEdit(), QStringLiteral("64MiB"));
        QVERIFY(wizard.limitsPage()->isComplete());
    }

    void containerWizard_sendsWhatWasChosen()
    {
        ContainerWizard wizard(&m_client, host(), QStringLiteral("apartment1"));
        typeInto(wizard.nameField()->lineEdit(), QStringLiteral("web1"));
        typeInto(wizard.commandEdit(), QStringLiteral("sh -c 'sleep 3600'"));
        wizard.ttyBox()->setChecked(false);
        wizard.cpusBox()->setValue(0.5);
        typeInto(wizard.memoryEdit(), QStringLiteral("64 MiB"));
        wizard.pidsBox()->setValue(0);
        wizard.autostartBox()->setChecked(true);
        QString problem;
        QVERIFY(!wizard.spec(&problem)->contains(QStringLiteral("restart"))); // "Never": the helper's default
        wizard.restartBox()->setCurrentIndex(wizard.restartBox()->findData(QStringLiteral("on-failure:5")));
        const auto spec = wizard.spec(&problem);
        QVERIFY2(spec, qPrintable(problem));
        QCOMPARE(spec->value(QStringLiteral("image")).toString(), QStringLiteral("busybox"));
        QCOMPARE(spec->value(QStringLiteral("command")).toStringList(),
                 (QStringList {QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("sleep 3600")}));
        QCOMPARE(spec->value(QStringLiteral("tty")).toBool(), false);
        QCOMPARE(spec->value(QStringLiteral("cpus")).toDouble(), 0.5);
        QCOMPARE(spec->value(QStringLiteral("memory")).toULongLong(), 64 * MiB);
        QVERIFY(!spec->contains(QStringLiteral("pids"))); // "no limit"
        QCOMPARE(spec->value(QStringLiteral("autostart")).toBool(), true);
        QCOMPARE(spec->value(QStringLiteral("restart")).toString(), QStringLiteral("on-failure:5"));
        // NAT by default, and no ports unless some are published.
        QCOMPARE(spec->value(QStringLiteral("network")).toString(), QStringLiteral("nat"));
        QVERIFY(!spec->contains(QStringLiteral("ports")));
    }

    void containerWizard_networkStepChecksPortsAsTyped()
    {
        ContainerWizard wizard(&m_client, host(), QStringLiteral("apartment1"));
        wizard.show();
        QVERIFY(QTest::qWaitForWindowExposed(&wizard));
        wizard.next();
        wizard.next();
        NetworkPage *page = wizard.networkPage();
        QCOMPARE(wizard.currentPage(), page);
        QVERIFY(page->modeButton(QStringLiteral("nat"))->isChecked());
        QVERIFY(page->isComplete()); // no port is fine
        QTest::mouseClick(page->addButton(), Qt::LeftButton);
        QCOMPARE(page->portCount(), 1);
        QVERIFY2(page->problemText().isEmpty(), qPrintable(page->problemText())); // a free port is suggested
        QCOMPARE(page->guestPortEdit(0)->text(), QStringLiteral("80"));

        for (const char *bad : {"70000", "0", "80x"}) {
            typeInto(page->hostPortEdit(0), QString::fromLatin1(bad));
            QVERIFY2(page->problemText().contains(QStringLiteral("1–65535")), bad);
            QVERIFY(!page->isComplete());
            QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
        }
        QString problem;
        QVERIFY(!wizard.spec(&problem)); // Finish would refuse it too, with the same words
        QVERIFY(problem.contains(QStringLiteral("70000")) || problem.contains(QStringLiteral("80x")));
        typeInto(page->hostPortEdit(0), QStringLiteral("18080"));
        typeInto(page->guestPortEdit(0), QStringLiteral("99999"));
        QVERIFY(page->problemText().contains(QStringLiteral("container port")));
        typeInto(page->guestPortEdit(0), QStringLiteral("80"));
        QVERIFY(page->isComplete());

        // The same host port twice: refused as typed; as UDP it is another port.
        page->addPort();
        typeInto(page->hostPortEdit(1), QStringLiteral("18080"));
        QVERIFY(page->problemText().contains(QStringLiteral("already published by port 1")));
        QVERIFY(!page->isComplete());
        page->protocolBox(1)->setCurrentText(QStringLiteral("udp"));
        QVERIFY(page->isComplete());
        typeInto(page->hostAddressEdit(1), QStringLiteral("localhost"));
        QVERIFY(page->problemText().contains(QStringLiteral("IPv4")));
        typeInto(page->hostAddressEdit(1), QStringLiteral("127.0.0.1"));
        QVERIFY2(page->isComplete(), qPrintable(page->problemText()));
        QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
        QVERIFY(page->grab().save(outputPath(QStringLiteral("wizard-network-ports.png"))));

        const auto spec = wizard.spec(&problem);
        QVERIFY2(spec, qPrintable(problem));
        const QList<PublishedPort> ports = PublishedPorts::fromSpec(spec->value(QStringLiteral("ports")));
        QCOMPARE(ports.size(), 2);
        QCOMPARE(ports.at(0), (PublishedPort {18080, 80, QStringLiteral("tcp"), {}}));
        QCOMPARE(ports.at(1), (PublishedPort {18080, 80, QStringLiteral("udp"), QStringLiteral("127.0.0.1")}));

        // Removing a row removes it from the spec; another mode has no ports at all.
        page->removePort(1);
        QCOMPARE(page->portCount(), 1);
        page->setMode(QStringLiteral("host"));
        QVERIFY(!page->addButton()->isEnabled());
        QVERIFY(page->findChild<QLabel *>(QStringLiteral("portsNote"))->text().contains(QStringLiteral("NAT")));
        const auto hostSpec = wizard.spec(&problem);
        QCOMPARE(hostSpec->value(QStringLiteral("network")).toString(), QStringLiteral("host"));
        QVERIFY(!hostSpec->contains(QStringLiteral("ports")));
        QVERIFY(page->grab().save(outputPath(QStringLiteral("wizard-network-host.png"))));
        page->setMode(QStringLiteral("none"));
        QCOMPARE(wizard.spec(&problem)->value(QStringLiteral("network")).toString(), QStringLiteral("none"));
    }

    void containerWizard_aPortHeldHereIsAHintNotABlock()
    {
        // A listener of this test holds a port: the page says so but lets Finish ask the helper,
        // whose answer counts (tst_networkgui shows that refusal in the wizard).
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_ANY);
        socklen_t length = sizeof address;
        QCOMPARE(::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
        QCOMPARE(::listen(fd, 1), 0);
        QCOMPARE(::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length), 0);
        const uint held = ntohs(address.sin_port);

        ContainerWizard wizard(&m_client, host(), QStringLiteral("apartment1"));
        NetworkPage *page = wizard.networkPage();
        page->addPort();
        typeInto(page->hostPortEdit(0), QString::number(held));
        ::close(fd);
        QVERIFY2(page->hintText().contains(QStringLiteral("seems taken")), qPrintable(page->hintText()));
        QVERIFY(page->problemText().isEmpty());
        QVERIFY(page->isComplete());
        // Once it is free again, the hint goes as the next edit rechecks.
        typeInto(page->hostPortEdit(0), QString::number(held));
        QVERIFY2(!page->hintText().contains(QStringLiteral("seems taken")), qPrintable(page->hintText()));
    }

    void containerWizard_defaultsFitTheHost()
    {
        Capabilities small = host();
        small.hostCpus = 1;
        ContainerWizard wizard(&m_client, small, QStringLiteral("apartment1"));
        QCOMPARE(wizard.cpusBox()->maximum(), 1.0);
        QCOMPARE(wizard.cpusBox()->value(), 1.0);
        QString problem;
        QCOMPARE(wizard.spec(&problem)->value(QStringLiteral("memory")).toULongLong(), 256 * MiB);
        QCOMPARE(wizard.spec(&problem)->value(QStringLiteral("pids")).toULongLong(), 1024ULL);
    }

    void containerWizard_withoutARuntimeSaysWhatToInstall()
    {
        Capabilities noRuntime = host();
        noRuntime.runtime.clear();
        ContainerWizard wizard(&m_client, noRuntime, QStringLiteral("apartment1"));
        auto *missing = wizard.findChild<QLabel *>(QStringLiteral("runtimeMissing"));
        QVERIFY(missing);
        QVERIFY(missing->text().contains(QStringLiteral("install the 'runc' package")));
        QVERIFY(!wizard.setupPage()->isComplete());
    }

    void vmWizard_needsAReadableFileForTheChosenSource()
    {
        VmWizard wizard(&m_client, host(), QStringLiteral("house1"));
        wizard.show();
        QVERIFY(QTest::qWaitForWindowExposed(&wizard));
        QCOMPARE(wizard.source(), VmWizard::Tiny);
        QVERIFY(wizard.sourcePage()->isComplete());
        wizard.setSource(VmWizard::Iso);
        QVERIFY(wizard.isoPicker()->isVisible());
        QVERIFY(!wizard.diskPicker()->isVisible());
        QVERIFY(!wizard.sourcePage()->isComplete());
        wizard.isoPicker()->setPath(QStringLiteral("/nonexistent/debian.iso"));
        QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
        QTemporaryFile iso;
        QVERIFY(iso.open());
        iso.write("CD001");
        iso.flush();
        wizard.isoPicker()->setPath(iso.fileName());
        QVERIFY(wizard.sourcePage()->isComplete());
        QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
        QVERIFY(wizard.grab().save(outputPath(QStringLiteral("wizard-vm-source.png"))));

        wizard.next();
        QCOMPARE(wizard.currentPage(), wizard.machinePage());
        QCOMPARE(wizard.vcpusBox()->value(), 2);
        QCOMPARE(wizard.memoryBox()->value(), 1024); // 2 GiB wanted, half of this host's 2 GiB given
        QVERIFY(wizard.diskBox()->isEnabled());
        QString problem;
        const auto spec = wizard.spec(&problem);
        QVERIFY2(spec, qPrintable(problem));
        QCOMPARE(spec->value(QStringLiteral("source")).toString(), QStringLiteral("iso"));
        QVERIFY(spec->value(QStringLiteral("iso")).value<QDBusUnixFileDescriptor>().isValid());
        QCOMPARE(spec->value(QStringLiteral("diskSize")).toULongLong(), 20ULL * 1024 * MiB);
    }

    void vmWizard_tinyDefaultsAreSmall()
    {
        VmWizard wizard(&m_client, host(), QStringLiteral("house1"));
        wizard.show();
        QVERIFY(QTest::qWaitForWindowExposed(&wizard));
        wizard.next();
        QCOMPARE(wizard.vcpusBox()->value(), 1);
        QCOMPARE(wizard.memoryBox()->value(), 256);
        QVERIFY(!wizard.diskBox()->isEnabled());
        typeInto(wizard.nameField()->lineEdit(), QStringLiteral(".."));
        QVERIFY(!wizard.machinePage()->isComplete());
        typeInto(wizard.nameField()->lineEdit(), QStringLiteral("tiny1"));
        QVERIFY(wizard.machinePage()->isComplete());
        QString problem;
        const auto spec = wizard.spec(&problem);
        QCOMPARE(spec->value(QStringLiteral("source")).toString(), QStringLiteral("tiny"));
        QCOMPARE(spec->value(QStringLiteral("memory")).toULongLong(), 256 * MiB);
        QCOMPARE(spec->value(QStringLiteral("vcpus")).toUInt(), 1u);
    }

    void vmWizard_withoutAKernelTheTinyVmIsOffered()
    {
        Capabilities noKernel = host();
        noKernel.kernel.clear();
        VmWizard wizard(&m_client, noKernel, QStringLiteral("house1"));
        QCOMPARE(wizard.source(), VmWizard::Iso);
        auto *tiny = wizard.findChild<QAbstractButton *>(QStringLiteral("source-tiny"));
        QVERIFY(tiny && !tiny->isEnabled());
    }
};

QTEST_MAIN(TestWizards)
#include "tst_wizards.moc"
