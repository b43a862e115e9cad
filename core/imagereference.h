#pragma once

#include <QString>

#include <optional>

namespace Hamlet {

// An image reference normalised the way docker does it, so that "alpine", "library/alpine",
// "docker.io/library/alpine:latest" and "index.docker.io/library/alpine" name the same image:
// - the first path component is a registry host when it contains "." or ":" or is "localhost";
//   otherwise the registry is docker.io, and a one-component name gets "library/";
// - no tag and no digest means ":latest"; a digest ("@sha256:" + 64 hex) pins the content;
// - repository components are lower case: [a-z0-9]+ joined by ".", "_", "__" or "-"s.
// In core because the helper pulls by it and the GUI and CLI show the names it makes.
struct ImageReference {
    QString registry; // "docker.io", "ghcr.io", "localhost:5000", "127.0.0.1:5000"
    QString repository; // "library/alpine"
    QString tag; // "latest"; empty only when pinned by digest alone
    QString digest; // "sha256:..." or empty

    // Parses and normalises; nullopt with *problem (a sentence for a person) when malformed.
    static std::optional<ImageReference> parse(const QString &text, QString *problem = nullptr);

    // The normalised name the store keeps: "docker.io/library/alpine:latest",
    // "host:5000/app@sha256:...", "ghcr.io/org/app:1.0@sha256:...".
    QString name() const;
    // What the distribution API's manifests endpoint takes: the digest when pinned, else the tag.
    QString manifestReference() const { return digest.isEmpty() ? tag : digest; }
    // The host:port the API is served from (docker.io's is registry-1.docker.io).
    QString apiHost() const;
    // A registry on this machine (localhost, 127.0.0.0/8, ::1): plain HTTP is allowed there.
    bool isLoopback() const;
};

} // namespace Hamlet
