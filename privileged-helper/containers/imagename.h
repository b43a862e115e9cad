#pragma once

#include <QString>

// Image names as the store keeps them. A name is a docker-style reference: lower-case path
// components ("[a-z0-9]+" joined by ".", "_", "__" or "-") separated by "/", optionally a
// registry host first ("localhost", a name with a "." or a ":port"), optionally ":tag" and/or
// "@sha256:HEX". Names become index.json entries and log lines, never paths.
namespace Hamlet::Containers::ImageName {

bool isValid(const QString &name);

// docker's normalisation of a valid reference: "alpine" -> "docker.io/library/alpine:latest",
// "user/app:1" -> "docker.io/user/app:1", "quay.io/x/y" -> "quay.io/x/y:latest". Returns an
// empty string for an invalid one.
QString normalized(const QString &reference);

} // namespace Hamlet::Containers::ImageName
