#pragma once

#include <QString>

namespace Hamlet {

// How a stored image's name reads in the window: "docker.io/library/alpine:3.20" shows as
// "alpine" with tag "3.20" from "docker.io"; local names ("busybox", "tools:1") stay as they are.
// Only splits, never judges: the store's names were checked when they came in (core's
// ImageReference does that for pulls).
struct ImageName {
    QString registry; // "" for a local name
    QString repository;
    QString tag;
    QString digest;

    static ImageName split(const QString &name);
    // "alpine", "ghcr.io/org/app", "127.0.0.1:5000/test/img", "tools".
    QString shortRepository() const;
};

} // namespace Hamlet
