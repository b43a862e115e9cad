#include "imagename.h"

namespace Hamlet {

namespace {
// docker's rule: the first component names a registry when it has a dot or a port, or is localhost.
bool looksLikeRegistry(const QString &component)
{
    return component.contains(QLatin1Char('.')) || component.contains(QLatin1Char(':'))
        || component == QLatin1String("localhost");
}
} // namespace

ImageName ImageName::split(const QString &name)
{
    ImageName parts;
    QString rest = name;
    if (const qsizetype at = rest.indexOf(QLatin1Char('@')); at >= 0) {
        parts.digest = rest.mid(at + 1);
        rest.truncate(at);
    }
    if (const qsizetype colon = rest.lastIndexOf(QLatin1Char(':')); colon > rest.lastIndexOf(QLatin1Char('/'))) {
        parts.tag = rest.mid(colon + 1);
        rest.truncate(colon);
    }
    const qsizetype slash = rest.indexOf(QLatin1Char('/'));
    if (slash > 0 && looksLikeRegistry(rest.left(slash))) {
        parts.registry = rest.left(slash);
        parts.repository = rest.mid(slash + 1);
    } else {
        parts.repository = rest;
    }
    return parts;
}

QString ImageName::shortRepository() const
{
    if (registry.isEmpty() || registry == QLatin1String("docker.io")) {
        if (repository.startsWith(QLatin1String("library/")))
            return repository.mid(8);
        return repository;
    }
    return registry + QLatin1Char('/') + repository;
}

} // namespace Hamlet
