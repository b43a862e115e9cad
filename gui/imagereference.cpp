#include "imagereference.h"

#include <QCoreApplication>
#include <QRegularExpression>
#include <QStringList>

namespace Hamlet {

namespace {
const QString DockerHub = QStringLiteral("docker.io");

QString tr(const char *text)
{
    return QCoreApplication::translate("Hamlet::ImageReference", text);
}

// The distribution spec's grammar, component by component.
const QRegularExpression &componentPattern()
{
    static const QRegularExpression pattern(QStringLiteral("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$"));
    return pattern;
}

const QRegularExpression &tagPattern()
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"));
    return pattern;
}

const QRegularExpression &digestPattern()
{
    static const QRegularExpression pattern(QStringLiteral("^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-f]{32,}$"));
    return pattern;
}

// docker's rule: the first component names a registry when it has a dot or a port, or is localhost.
bool looksLikeRegistry(const QString &component)
{
    return component.contains(QLatin1Char('.')) || component.contains(QLatin1Char(':'))
        || component == QLatin1String("localhost");
}
} // namespace

ImageReference ImageReference::split(const QString &name)
{
    ImageReference reference;
    QString rest = name;
    if (const qsizetype at = rest.indexOf(QLatin1Char('@')); at >= 0) {
        reference.digest = rest.mid(at + 1);
        rest.truncate(at);
    }
    const qsizetype slash = rest.lastIndexOf(QLatin1Char('/'));
    if (const qsizetype colon = rest.lastIndexOf(QLatin1Char(':')); colon > slash) {
        reference.tag = rest.mid(colon + 1);
        rest.truncate(colon);
    }
    const qsizetype firstSlash = rest.indexOf(QLatin1Char('/'));
    if (firstSlash > 0 && looksLikeRegistry(rest.left(firstSlash))) {
        reference.registry = rest.left(firstSlash);
        reference.repository = rest.mid(firstSlash + 1);
    } else {
        reference.repository = rest;
    }
    return reference;
}

std::optional<ImageReference> ImageReference::parse(const QString &text, QString *problem)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty()) {
        *problem = tr("Type an image reference, such as alpine, debian:12 or ghcr.io/org/app:tag.");
        return std::nullopt;
    }
    if (trimmed.contains(QRegularExpression(QStringLiteral("\\s")))) {
        *problem = tr("A reference has no spaces.");
        return std::nullopt;
    }
    ImageReference reference = split(trimmed);
    if (!reference.digest.isEmpty() && !digestPattern().match(reference.digest).hasMatch()) {
        *problem = tr("'%1' is not a digest: write @sha256: and 64 hexadecimal digits.").arg(reference.digest);
        return std::nullopt;
    }
    if (reference.digest.startsWith(QLatin1String("sha256:")) && reference.digest.size() != 7 + 64) {
        *problem = tr("A sha256 digest has 64 hexadecimal digits.");
        return std::nullopt;
    }
    if (!reference.tag.isEmpty() && !tagPattern().match(reference.tag).hasMatch()) {
        *problem = tr("'%1' is not a tag: letters, digits, '_', '.' and '-', at most 128.").arg(reference.tag);
        return std::nullopt;
    }
    if (reference.registry.isEmpty() || reference.registry == QLatin1String("index.docker.io"))
        reference.registry = DockerHub;
    const QStringList components = reference.repository.split(QLatin1Char('/'));
    for (const QString &component : components) {
        if (component.isEmpty()) {
            *problem = tr("The name has an empty part between slashes.");
            return std::nullopt;
        }
        if (component != component.toLower()) {
            *problem = tr("Repository names are lower case ('%1').").arg(component);
            return std::nullopt;
        }
        if (!componentPattern().match(component).hasMatch()) {
            *problem = tr("'%1' is not a valid name part: lower-case letters and digits, separated by '.', '_' "
                          "or '-'.")
                           .arg(component);
            return std::nullopt;
        }
    }
    if (reference.registry == DockerHub && components.size() == 1)
        reference.repository.prepend(QLatin1String("library/"));
    if (reference.tag.isEmpty() && reference.digest.isEmpty())
        reference.tag = QStringLiteral("latest");
    return reference;
}

QString ImageReference::normalized() const
{
    QString name = registry.isEmpty() ? repository : registry + QLatin1Char('/') + repository;
    if (!tag.isEmpty())
        name += QLatin1Char(':') + tag;
    if (!digest.isEmpty())
        name += QLatin1Char('@') + digest;
    return name;
}

QString ImageReference::shortRepository() const
{
    if (registry.isEmpty() || registry == DockerHub) {
        if (repository.startsWith(QLatin1String("library/")))
            return repository.mid(8);
        return repository;
    }
    return registry + QLatin1Char('/') + repository;
}

bool ImageReference::isLoopback() const
{
    QString host = registry;
    if (host.startsWith(QLatin1Char('['))) // [::1]:5000
        host = host.mid(1, host.indexOf(QLatin1Char(']')) - 1);
    else
        host = host.section(QLatin1Char(':'), 0, 0);
    return host == QLatin1String("localhost") || host == QLatin1String("::1")
        || QRegularExpression(QStringLiteral("^127\\.\\d+\\.\\d+\\.\\d+$")).match(host).hasMatch();
}

} // namespace Hamlet
