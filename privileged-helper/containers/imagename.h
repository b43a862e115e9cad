#pragma once

#include <QString>

// Image names as the store keeps them, by core's ImageReference (docker's grammar and
// normalisation). Names become index.json entries and log lines, never paths.
namespace Hamlet::Containers::ImageName {

bool isValid(const QString &name);

// docker's normalisation of a valid reference: "alpine" -> "docker.io/library/alpine:latest",
// "user/app:1" -> "docker.io/user/app:1", "quay.io/x/y" -> "quay.io/x/y:latest". Returns an
// empty string for an invalid one.
QString normalized(const QString &reference);

} // namespace Hamlet::Containers::ImageName
