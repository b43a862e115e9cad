#include "hamlet_version.h"
#include "hamletctl.h"
#include "logging.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTimer>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    app.setApplicationName(QStringLiteral("hamletctl"));
    app.setApplicationVersion(QStringLiteral(HAMLET_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Command-line client of hamlet-helper."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption bus(QStringLiteral("bus"), QStringLiteral("D-Bus address (default: system bus)."),
                                 QStringLiteral("address"));
    parser.addOption(bus);
    parser.addPositionalArgument(QStringLiteral("command"), Hamlet::Ctl::usage());
    // A verb's own options ("history NAME --from -2min") are its arguments, not hamletctl's.
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    // QCommandLineParser swallows "--", which separates a container's command: split it off first.
    QStringList arguments = app.arguments();
    const qsizetype separator = arguments.indexOf(QStringLiteral("--"));
    const QStringList command = separator < 0 ? QStringList() : arguments.mid(separator);
    if (separator >= 0)
        arguments.resize(separator);
    parser.process(arguments);
    Hamlet::Log::setup("hamletctl", false);

    int exitCode = 0;
    QTimer::singleShot(0, &app, [&] {
        Hamlet::Ctl::run(parser.value(bus), parser.positionalArguments() + command, &exitCode).then([&] {
            app.quit();
        });
    });
    app.exec();
    return exitCode;
}
