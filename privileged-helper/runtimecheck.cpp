#include "runtimecheck.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QVersionNumber>

namespace Hamlet::RuntimeCheck {

namespace {
QString run(const QString &program, const QStringList &arguments, int *exitCode = nullptr)
{
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForFinished(5000)) {
        process.kill();
        process.waitForFinished(1000);
        if (exitCode)
            *exitCode = -1;
        return {};
    }
    if (exitCode)
        *exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    return QString::fromUtf8(process.readAllStandardOutput()).trimmed();
}
} // namespace

QString warningFor(const Facts &facts)
{
    if (facts.runtimeName != QLatin1String("runc"))
        return {}; // the CVE is runc's own (crun never had it)
    const QRegularExpressionMatch match
        = QRegularExpression(QStringLiteral("^runc version (\\d+\\.\\d+\\.\\d+)")).match(facts.versionOutput);
    const QVersionNumber upstream = match.hasMatch() ? QVersionNumber::fromString(match.captured(1)) : QVersionNumber();
    if (!upstream.isNull() && upstream >= QVersionNumber::fromString(QLatin1String(FixedUpstream)))
        return {};
    if (facts.packageCarriesFix.value_or(false))
        return {};
    const QString which = upstream.isNull() ? QStringLiteral("This runc (its version is unknown)")
                                            : QStringLiteral("runc %1").arg(upstream.toString());
    const QString package
        = facts.packageVersion.isEmpty() ? QString() : QStringLiteral(" (Debian package %1)").arg(facts.packageVersion);
    return QStringLiteral("%1%2 may lack the fix for CVE-2024-21626, through which a container can reach the "
                          "host's files: update runc to %3 or later, or to your distribution's patched package "
                          "(Debian 12: %4).")
        .arg(which, package, QLatin1String(FixedUpstream), QLatin1String(FixedDebianBookworm));
}

Facts read(const QString &runtimePath)
{
    Facts facts;
    facts.runtimeName = QFileInfo(runtimePath).fileName();
    if (runtimePath.isEmpty())
        return facts;
    facts.versionOutput = run(runtimePath, {QStringLiteral("--version")});
    // Only when the runtime file is the package's: a runc of one's own next to a patched
    // package must not be taken for the patched one.
    int owned = -1;
    const QString owner
        = run(QStringLiteral("dpkg-query"), {QStringLiteral("-S"), QFileInfo(runtimePath).canonicalFilePath()}, &owned);
    if (owned != 0 || !owner.startsWith(QLatin1String("runc:")))
        return facts;
    facts.packageVersion = run(QStringLiteral("dpkg-query"),
                               {QStringLiteral("-W"), QStringLiteral("-f=${Version}"), QStringLiteral("runc")});
    if (facts.packageVersion.isEmpty())
        return facts;
    int newer = -1;
    run(QStringLiteral("dpkg"),
        {QStringLiteral("--compare-versions"), facts.packageVersion, QStringLiteral("ge"),
         QLatin1String(FixedDebianBookworm)},
        &newer);
    facts.packageCarriesFix = newer == 0;
    return facts;
}

} // namespace Hamlet::RuntimeCheck
