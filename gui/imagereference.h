#pragma once

#include <QString>
#include <optional>

namespace Hamlet {

// An image reference as the GUI needs it before the helper sees it: does it look like one, which
// registry does it name (for credentials and the "insecure" hint), and how docker would normalise
// it ("alpine" -> "docker.io/library/alpine:latest"). A light check: the helper validates for real.
struct ImageReference {
    QString registry; // "docker.io", "ghcr.io", "localhost:5000"
    QString repository; // "library/alpine"
    QString tag; // "latest" unless a digest is given
    QString digest; // "sha256:..." or ""

    // nullopt with the reason in *problem (a sentence for the person typing it).
    static std::optional<ImageReference> parse(const QString &text, QString *problem);
    // Splits a stored image name ("docker.io/library/alpine:latest", "busybox") without judging it.
    static ImageReference split(const QString &name);

    QString normalized() const;
    // What a person calls it: "alpine", "ghcr.io/org/app", "localhost:5000/test/img".
    QString shortRepository() const;
    // A registry on this machine (localhost, 127.0.0.0/8, [::1]): plain HTTP is allowed anyway.
    bool isLoopback() const;
};

} // namespace Hamlet
