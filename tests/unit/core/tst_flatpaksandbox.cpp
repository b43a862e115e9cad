#include "flatpaksandbox.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using Hamlet::FlatpakSandbox;

namespace {
const QString ServiceUnknown = QStringLiteral("org.freedesktop.DBus.Error.ServiceUnknown");
const QString NoServer = QStringLiteral("org.freedesktop.DBus.Error.NoServer");
} // namespace

// /.flatpak-info as flatpak 1.14 writes it (abridged), with or without the helper's talk name.
class TestFlatpakSandbox : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;

    QString writeInfo(const QByteArray &systemPolicy)
    {
        const QString path = m_dir.filePath(QStringLiteral("flatpak-info"));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write %s", qPrintable(path));
        file.write("[Application]\nname=dev.hamlet.Hamlet\nruntime=runtime/org.kde.Platform/x86_64/6.9\n\n"
                   "[Context]\nshared=ipc;\nsockets=x11;wayland;\n\n"
                   "[Session Bus Policy]\norg.freedesktop.Notifications=talk\n\n");
        file.write(systemPolicy);
        return path;
    }

private Q_SLOTS:
    void outsideAFlatpakThereIsNothingToAdd()
    {
        const auto sandbox = FlatpakSandbox::read(m_dir.filePath(QStringLiteral("absent")));
        QVERIFY(!sandbox.inside);
        QVERIFY(sandbox.hintFor(ServiceUnknown).isEmpty());
    }

    void withoutTheTalkNameTheHintSaysHowToGrantIt()
    {
        const auto sandbox = FlatpakSandbox::read(writeInfo(""));
        QVERIFY(sandbox.inside);
        QCOMPARE(sandbox.appId, QStringLiteral("dev.hamlet.Hamlet"));
        QVERIFY(!sandbox.mayTalkToHelper);
        for (const QString &error : {ServiceUnknown, NoServer}) {
            const QString hint = sandbox.hintFor(error);
            QVERIFY2(hint.contains(QStringLiteral("not allowed to talk")), qPrintable(hint));
            QVERIFY2(hint.contains(QStringLiteral("flatpak override --user --system-talk-name=dev.hamlet.Helper1 "
                                                  "dev.hamlet.Hamlet")),
                     qPrintable(hint));
        }
    }

    void withTheTalkNameAMissingHelperMeansTheHostPackage()
    {
        const auto sandbox = FlatpakSandbox::read(writeInfo("[System Bus Policy]\ndev.hamlet.Helper1=talk\n"));
        QVERIFY(sandbox.mayTalkToHelper);
        const QString hint = sandbox.hintFor(ServiceUnknown);
        QVERIFY2(hint.contains(QStringLiteral("install the hamlet-helper package")), qPrintable(hint));
        QVERIFY(!hint.contains(QStringLiteral("override")));
    }

    void anotherNameOnTheSystemBusGrantsNothing()
    {
        const auto sandbox = FlatpakSandbox::read(writeInfo("[System Bus Policy]\norg.freedesktop.Accounts=talk\n"
                                                            "dev.hamlet.Helper1.Other=talk\n"));
        QVERIFY(!sandbox.mayTalkToHelper);
    }

    void errorsTheSandboxDoesNotExplainKeepTheirOwnHint()
    {
        const auto sandbox = FlatpakSandbox::read(writeInfo(""));
        QVERIFY(sandbox.hintFor(QStringLiteral("dev.hamlet.Error.NotAuthorized")).isEmpty());
        QVERIFY(sandbox.hintFor(QStringLiteral("org.freedesktop.DBus.Error.NoReply")).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestFlatpakSandbox)
#include "tst_flatpaksandbox.moc"
