#include "hamlet_version.h"
#include "helperclient.h"
#include "kindicons.h"
#include "logging.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    app.setApplicationName(QStringLiteral("Hamlet"));
    app.setOrganizationName(QStringLiteral("Hamlet")); // QSettings: ~/.config/Hamlet/Hamlet.conf
    app.setOrganizationDomain(QStringLiteral("hamlet.dev"));
    app.setDesktopFileName(QStringLiteral("dev.hamlet.Hamlet"));
    app.setApplicationVersion(QStringLiteral(HAMLET_VERSION));
    app.setWindowIcon(QIcon::fromTheme(QStringLiteral("dev.hamlet.Hamlet"), Hamlet::KindIcons::application()));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Containers and virtual machines, side by side."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption bus(QStringLiteral("bus"), QStringLiteral("D-Bus address of the helper's bus."),
                                 QStringLiteral("address"));
    const QCommandLineOption verbose(QStringLiteral("verbose"), QStringLiteral("Log debug messages."));
    parser.addOptions({bus, verbose});
    parser.process(app);
    Hamlet::Log::setup("hamlet", parser.isSet(verbose));

    Hamlet::HelperClient client(parser.value(bus));
    Hamlet::MainWindow window(&client);
    window.show();
    window.refresh();
    return app.exec();
}
