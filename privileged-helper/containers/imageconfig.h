#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace Hamlet::Containers {

// The part of an OCI image config ("config" in application/vnd.oci.image.config.v1+json) that
// decides how a container of the image runs.
struct ImageConfig {
    QStringList entrypoint;
    QStringList cmd;
    QStringList env;
    QString workingDir;
    QString user;

    // Reads the whole image config document (the object holding "config", "rootfs", ...).
    static ImageConfig fromImageConfigJson(const QJsonObject &document);
    // The "config" object, as written into a new image config.
    QJsonObject toConfigJson() const;

    friend bool operator==(const ImageConfig &, const ImageConfig &) = default;
};

} // namespace Hamlet::Containers
