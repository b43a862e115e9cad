#pragma once

#include "result.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace Hamlet::Registry {

using Containers::Result;

// A content descriptor of the distribution API: what to fetch and what it must hash to.
struct Descriptor {
    QString mediaType;
    QString digest;
    qint64 size = 0;
};

// An image manifest (OCI or Docker v2 schema 2) reduced to what a pull needs. Only layers
// Hamlet can unpack are accepted: tar, gzip or zstd; foreign, non-distributable and encrypted
// layers are refused with a reason.
struct ImageManifest {
    Descriptor config;
    QList<Descriptor> layers; // bottom first

    static Result<ImageManifest> parse(const QByteArray &json, const QString &mediaType);
};

// Manifest lists (Docker) and image indexes (OCI) point at one manifest per platform.
namespace ManifestIndex {
// The media type of a manifest response: the Content-Type when it names a manifest type, else
// the document's own "mediaType" (OCI allows it to be absent).
QString mediaTypeOf(const QByteArray &json, const QString &contentType);
bool isIndex(const QString &mediaType);
// The entry for "os/arch[/variant]"; NotFound naming the platforms it does have.
Result<Descriptor> pick(const QByteArray &json, const QString &platform);
} // namespace ManifestIndex

// The Accept header of manifest requests: every type above.
QByteArray acceptedManifestTypes();
// "linux/amd64" on x86-64: the platform this helper runs containers for.
QString hostPlatform();

} // namespace Hamlet::Registry
