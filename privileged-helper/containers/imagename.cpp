#include "imagename.h"

#include <QRegularExpression>

namespace Hamlet::Containers::ImageName {

namespace {

// The grammar of github.com/distribution/reference, without its rarely used corners.
const QRegularExpression &referencePattern()
{
    static const QRegularExpression pattern(QStringLiteral(
        R"(^(?:((?:localhost|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*:[0-9]+))/)?)" // host
        R"(([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*))" // path
        R"((?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?)" // tag
        R"((?:@(sha256:[0-9a-f]{64}))?$)")); // digest
    return pattern;
}

} // namespace

bool isValid(const QString &name)
{
    return name.size() <= 255 && referencePattern().match(name).hasMatch();
}

QString normalized(const QString &reference)
{
    if (!isValid(reference))
        return {};
    const QRegularExpressionMatch match = referencePattern().match(reference);
    QString host = match.captured(1);
    QString path = match.captured(2);
    const QString tag = match.captured(3);
    const QString digest = match.captured(4);
    if (host.isEmpty())
        host = QStringLiteral("docker.io");
    if (host == QStringLiteral("docker.io") && !path.contains(QLatin1Char('/')))
        path = QStringLiteral("library/") + path;
    QString result = host + QLatin1Char('/') + path;
    if (!tag.isEmpty() || digest.isEmpty())
        result += QLatin1Char(':') + (tag.isEmpty() ? QStringLiteral("latest") : tag);
    if (!digest.isEmpty())
        result += QLatin1Char('@') + digest;
    return result;
}

} // namespace Hamlet::Containers::ImageName
