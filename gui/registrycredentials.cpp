#include "registrycredentials.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

namespace Hamlet {

namespace {
// "https://index.docker.io/v1/" -> "docker.io"; "http://localhost:5000/" -> "localhost:5000".
QString normalizeKey(QString key)
{
    for (const QLatin1String scheme : {QLatin1String("https://"), QLatin1String("http://")})
        if (key.startsWith(scheme))
            key = key.mid(scheme.size());
    while (key.endsWith(QLatin1Char('/')))
        key.chop(1);
    for (const QLatin1String legacy : {QLatin1String("/v1"), QLatin1String("/v2")})
        if (key.endsWith(legacy))
            key.chop(legacy.size());
    const QString host = key.section(QLatin1Char('/'), 0, 0);
    if (host == QLatin1String("index.docker.io") || host == QLatin1String("registry-1.docker.io"))
        key = QStringLiteral("docker.io") + key.mid(host.size());
    return key;
}

void readFile(const QString &path, QList<RegistryCredentials::Entry> *entries, QStringList *problems)
{
    QFile file(path);
    if (!file.exists())
        return;
    if (!file.open(QIODevice::ReadOnly)) {
        *problems << QStringLiteral("%1: %2").arg(path, file.errorString());
        return;
    }
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (!document.isObject()) {
        *problems << QStringLiteral("%1: not JSON (%2)").arg(path, error.errorString());
        return;
    }
    const QJsonObject root = document.object();
    const QJsonObject auths = root.value(QStringLiteral("auths")).toObject();
    const QJsonObject helpers = root.value(QStringLiteral("credHelpers")).toObject();
    const QString store = root.value(QStringLiteral("credsStore")).toString();
    for (auto it = auths.begin(); it != auths.end(); ++it) {
        const QString auth = it.value().toObject().value(QStringLiteral("auth")).toString();
        const QString key = normalizeKey(it.key());
        // With a credsStore, docker leaves an empty entry here and keeps the secret in the store.
        const QString helper = auth.isEmpty() ? helpers.value(it.key()).toString(store) : QString();
        if (!auth.isEmpty() || !helper.isEmpty())
            entries->append({key, auth, helper, path});
    }
    for (auto it = helpers.begin(); it != helpers.end(); ++it)
        if (!auths.contains(it.key()))
            entries->append({normalizeKey(it.key()), QString(), it.value().toString(), path});
}

bool covers(const QString &key, const QString &repository)
{
    return repository == key || repository.startsWith(key + QLatin1Char('/'));
}
} // namespace

QStringList RegistryCredentials::defaultFiles()
{
    QStringList files;
    if (const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR"); !runtime.isEmpty())
        files << runtime + QStringLiteral("/containers/auth.json");
    const QString config = qEnvironmentVariable("XDG_CONFIG_HOME", QDir::homePath() + QStringLiteral("/.config"));
    files << config + QStringLiteral("/containers/auth.json");
    files << QDir::homePath() + QStringLiteral("/.docker/config.json");
    return files;
}

RegistryCredentials RegistryCredentials::load(const QStringList &files, QStringList *problems)
{
    RegistryCredentials credentials;
    QStringList ignored;
    for (const QString &file : files)
        readFile(file, &credentials.m_entries, problems ? problems : &ignored);
    return credentials;
}

std::optional<RegistryCredentials::Match> RegistryCredentials::find(const ImageReference &reference) const
{
    const QString repository = reference.registry + QLatin1Char('/') + reference.repository;
    const Entry *best = nullptr;
    for (const Entry &entry : m_entries) {
        if (best && entry.file != best->file)
            break; // the first file that knows the registry decides
        if (covers(entry.key, repository) && (!best || entry.key.size() > best->key.size()))
            best = &entry;
    }
    if (!best)
        return std::nullopt;
    return Match {best->auth, best->helper, best->file, best->key};
}

} // namespace Hamlet
