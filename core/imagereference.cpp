#include "imagereference.h"

#include <QRegularExpression>

namespace Hamlet {

namespace {

const QString kDockerHub = QStringLiteral("docker.io");

bool fail(QString *problem, const QString &text)
{
    if (problem)
        *problem = text;
    return false;
}

// Docker's rule: a first component is a host when it has a "." or ":", is "localhost", or has
// upper case (repository components cannot).
bool looksLikeHost(const QString &component)
{
    return component.contains(QLatin1Char('.')) || component.contains(QLatin1Char(':'))
        || component == QLatin1String("localhost") || component.toLower() != component;
}

bool validHost(const QString &host)
{
    static const QRegularExpression name(
        QStringLiteral("^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
                       "(?::[0-9]{1,5})?$"));
    static const QRegularExpression ipv6(QStringLiteral("^\\[[0-9a-fA-F:.]+\\](?::[0-9]{1,5})?$"));
    return name.match(host).hasMatch() || ipv6.match(host).hasMatch();
}

bool validRepository(const QString &repository, QString *problem)
{
    static const QRegularExpression component(QStringLiteral("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$"));
    for (const QString &part : repository.split(QLatin1Char('/'))) {
        if (part.isEmpty())
            return fail(problem, QStringLiteral("it has an empty path component"));
        if (part.toLower() != part)
            return fail(problem, QStringLiteral("repository names must be lower case (\"%1\")").arg(part));
        if (!component.match(part).hasMatch())
            return fail(problem,
                        QStringLiteral("\"%1\" is not a valid repository component (use a-z, 0-9 and "
                                       "single \".\", \"_\" or \"-\" between them)")
                            .arg(part));
    }
    return true;
}

} // namespace

std::optional<ImageReference> ImageReference::parse(const QString &text, QString *problem)
{
    QString why;
    auto refuse = [&](const QString &reason) {
        if (problem)
            *problem = QStringLiteral("\"%1\" is not a valid image reference: %2").arg(text, reason);
        return std::nullopt;
    };
    if (text.isEmpty())
        return refuse(QStringLiteral("it is empty (try \"alpine\" or \"docker.io/library/debian:12\")"));
    static const QRegularExpression space(QStringLiteral("\\s"));
    if (text.contains(space))
        return refuse(QStringLiteral("it contains white space"));
    ImageReference reference;
    QString rest = text;
    if (const qsizetype at = rest.indexOf(QLatin1Char('@')); at >= 0) {
        reference.digest = rest.mid(at + 1);
        rest.truncate(at);
        static const QRegularExpression sha256(QStringLiteral("^sha256:[0-9a-f]{64}$"));
        if (!sha256.match(reference.digest).hasMatch())
            return refuse(QStringLiteral("the digest must be \"sha256:\" and 64 lower-case hex digits"));
    }
    const qsizetype colon = rest.lastIndexOf(QLatin1Char(':'));
    if (colon > rest.lastIndexOf(QLatin1Char('/'))) {
        reference.tag = rest.mid(colon + 1);
        rest.truncate(colon);
        static const QRegularExpression tag(QStringLiteral("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"));
        if (!tag.match(reference.tag).hasMatch())
            return refuse(QStringLiteral("the tag \"%1\" is invalid (up to 128 of A-Z a-z 0-9 _ . -, not starting "
                                         "with . or -)")
                              .arg(reference.tag));
    }
    const qsizetype slash = rest.indexOf(QLatin1Char('/'));
    if (slash > 0 && looksLikeHost(rest.left(slash))) {
        reference.registry = rest.left(slash);
        reference.repository = rest.mid(slash + 1);
        if (!validHost(reference.registry))
            return refuse(QStringLiteral("\"%1\" is not a valid registry host").arg(reference.registry));
    } else {
        reference.registry = kDockerHub;
        reference.repository = rest;
    }
    if (reference.registry == QLatin1String("index.docker.io"))
        reference.registry = kDockerHub;
    if (reference.repository.isEmpty())
        return refuse(QStringLiteral("it names no repository"));
    static const QRegularExpression hexId(QStringLiteral("^[0-9a-f]{64}$"));
    if (reference.registry == kDockerHub && hexId.match(reference.repository).hasMatch())
        return refuse(QStringLiteral("a 64-digit hex string is an image id, not a name (use \"name@sha256:...\")"));
    if (reference.registry == kDockerHub && !reference.repository.contains(QLatin1Char('/')))
        reference.repository.prepend(QStringLiteral("library/"));
    if (!validRepository(reference.repository, &why))
        return refuse(why);
    if (reference.registry.size() + 1 + reference.repository.size() > 255)
        return refuse(QStringLiteral("the name is longer than 255 characters"));
    if (reference.tag.isEmpty() && reference.digest.isEmpty())
        reference.tag = QStringLiteral("latest");
    return reference;
}

QString ImageReference::name() const
{
    QString name = registry + QLatin1Char('/') + repository;
    if (!tag.isEmpty())
        name += QLatin1Char(':') + tag;
    if (!digest.isEmpty())
        name += QLatin1Char('@') + digest;
    return name;
}

QString ImageReference::apiHost() const
{
    return registry == kDockerHub ? QStringLiteral("registry-1.docker.io") : registry;
}

bool ImageReference::isLoopback() const
{
    QString host = registry;
    if (host.startsWith(QLatin1Char('['))) {
        host = host.mid(1, host.indexOf(QLatin1Char(']')) - 1);
    } else if (const qsizetype colon = host.lastIndexOf(QLatin1Char(':')); colon >= 0) {
        host.truncate(colon);
    }
    static const QRegularExpression loopbackV4(QStringLiteral("^127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}$"));
    return host == QLatin1String("localhost") || host == QLatin1String("::1") || loopbackV4.match(host).hasMatch();
}

} // namespace Hamlet
