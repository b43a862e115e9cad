#pragma once

#include "imagereference.h" // core's: the registry a pull will talk to

#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace Hamlet {

// The credentials the person already stored with docker login, podman login or skopeo login, read
// from their own files by the GUI (the helper never reads a home directory) and passed to PullImage
// as its "auth" option. Files in the order podman reads them; within the first file that knows the
// registry, the most specific key wins ("quay.io/org" over "quay.io"). Credential helpers
// (credsStore, credHelpers) are not run: the person is told to type the password instead.
class RegistryCredentials
{
public:
    struct Entry {
        QString key; // normalised: "docker.io", "quay.io/org"
        QString auth; // base64 "user:password"; empty when a credential helper holds it
        QString helper; // "desktop", "pass", ... when a credential helper holds it
        QString file;
    };
    struct Match {
        QString auth;
        QString helper;
        QString file;
        QString key;
    };

    // $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json, ~/.docker/config.json
    static QStringList defaultFiles();
    // Reads the files (small, but on the person's home: call it off the UI thread). Files that
    // do not exist or do not parse are skipped; what was wrong is in *problems.
    static RegistryCredentials load(const QStringList &files, QStringList *problems = nullptr);

    std::optional<Match> find(const ImageReference &reference) const;
    const QList<Entry> &entries() const { return m_entries; }

private:
    QList<Entry> m_entries; // in file order
};

} // namespace Hamlet
