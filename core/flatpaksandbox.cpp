#include "flatpaksandbox.h"

#include "dbusnames.h"

#include <QFile>
#include <QStringList>

namespace Hamlet {

namespace {
// The errors a client sees when the helper cannot be reached: without the talk permission the bus
// proxy hides the name (ServiceUnknown / NameHasNoOwner), or flatpak sets up no system bus at all.
bool unreachable(const QString &name)
{
    static const QStringList names {QStringLiteral("org.freedesktop.DBus.Error.ServiceUnknown"),
                                    QStringLiteral("org.freedesktop.DBus.Error.NameHasNoOwner"),
                                    QStringLiteral("org.freedesktop.DBus.Error.Spawn.ServiceNotFound"),
                                    QStringLiteral("org.freedesktop.DBus.Error.NoServer"),
                                    QStringLiteral("org.freedesktop.DBus.Error.FileNotFound"),
                                    QStringLiteral("org.freedesktop.DBus.Error.Disconnected"),
                                    QStringLiteral("org.freedesktop.DBus.Error.AccessDenied")};
    return names.contains(name);
}
} // namespace

FlatpakSandbox FlatpakSandbox::read(const QString &infoPath)
{
    FlatpakSandbox sandbox;
    QFile file(infoPath);
    if (!file.open(QIODevice::ReadOnly))
        return sandbox;
    sandbox.inside = true;
    // A keyfile: "[Application] name=ID" and "[System Bus Policy] NAME=talk|own|see".
    QString section;
    for (const QByteArray &raw : file.readAll().split('\n')) {
        const QString line = QString::fromUtf8(raw).trimmed();
        if (line.startsWith(QLatin1Char('[')) && line.endsWith(QLatin1Char(']'))) {
            section = line.mid(1, line.size() - 2);
            continue;
        }
        const QString key = line.section(QLatin1Char('='), 0, 0);
        const QString value = line.section(QLatin1Char('='), 1);
        if (section == QLatin1String("Application") && key == QLatin1String("name"))
            sandbox.appId = value;
        else if (section == QLatin1String("System Bus Policy") && key == Bus::ServiceName)
            sandbox.mayTalkToHelper = value == QLatin1String("talk") || value == QLatin1String("own");
    }
    return sandbox;
}

QString FlatpakSandbox::hintFor(const QString &errorName) const
{
    if (!inside || !unreachable(errorName))
        return {};
    if (!mayTalkToHelper)
        return QStringLiteral("This Flatpak of Hamlet is not allowed to talk to the Hamlet helper (%1) on "
                              "the system bus. Grant it with: flatpak override --user "
                              "--system-talk-name=%1 %2")
            .arg(Bus::ServiceName, appId);
    return QStringLiteral("The Hamlet helper (%1) is not running on this computer and could not be started. "
                          "A Flatpak cannot contain it: install the hamlet-helper package of your "
                          "distribution on the host.")
        .arg(Bus::ServiceName);
}

} // namespace Hamlet
