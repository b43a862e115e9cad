#pragma once

#include "tarbuilder.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

// Image archives for tests and fuzz seeds, built in memory: docker save (legacy and docker 25
// layouts) and OCI archives, with knobs to make them lie.
namespace Hamlet::Test {

inline QString sha256Of(const QByteArray &data)
{
    return QStringLiteral("sha256:")
        + QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

inline QString hexOf(const QString &digest)
{
    return digest.mid(7);
}

inline QByteArray json(const QJsonValue &value)
{
    return value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)
                           : QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
}

inline QByteArray helloLayer(const QByteArray &greeting = "hi\n")
{
    return makeTar({{"bin", AE_IFDIR, {}, {}, false, 0755}, {"bin/hello", AE_IFREG, greeting, {}, false, 0755}});
}

inline QJsonObject configFor(const QStringList &diffIds)
{
    return QJsonObject {
        {QStringLiteral("architecture"), QStringLiteral("amd64")},
        {QStringLiteral("os"), QStringLiteral("linux")},
        {QStringLiteral("created"), QStringLiteral("2024-01-02T03:04:05Z")},
        {QStringLiteral("config"), QJsonObject {{QStringLiteral("Cmd"), QJsonArray {QStringLiteral("/bin/hello")}}}},
        {QStringLiteral("rootfs"),
         QJsonObject {{QStringLiteral("type"), QStringLiteral("layers")},
                      {QStringLiteral("diff_ids"), QJsonArray::fromStringList(diffIds)}}},
    };
}

// A docker save archive the way docker and skopeo write it: layers as HEX.tar with a legacy
// ID/layer.tar symlink to each, which is the name manifest.json uses; or, as docker 25 and
// later write it, an OCI layout whose manifest.json names blobs/sha256/HEX.
struct DockerArchive {
    QList<QByteArray> layers {helloLayer()};
    QStringList repoTags {QStringLiteral("alpine:3")};
    QStringList layerNames; // default: the symlinks
    QJsonObject config; // default: configFor(the layers' digests)
    QByteArray manifestOverride;
    bool withManifest = true;
    bool blobsLayout = false; // docker 25+

    QByteArray build() const
    {
        QList<TarMember> members;
        QStringList names;
        QStringList diffIds;
        if (blobsLayout)
            members << TarMember {"oci-layout", AE_IFREG, R"({"imageLayoutVersion":"1.0.0"})"};
        for (const QByteArray &layer : layers) {
            const QString hex = hexOf(sha256Of(layer));
            diffIds << sha256Of(layer);
            if (blobsLayout) {
                members << TarMember {"blobs/sha256/" + hex.toUtf8(), AE_IFREG, layer};
                names << QStringLiteral("blobs/sha256/") + hex;
                continue;
            }
            members << TarMember {hex.toUtf8() + ".tar", AE_IFREG, layer};
            members << TarMember {"legacy" + hex.left(8).toUtf8(), AE_IFDIR, {}, {}, false, 0755};
            members << TarMember {
                "legacy" + hex.left(8).toUtf8() + "/layer.tar", AE_IFLNK, {}, "../" + hex.toUtf8() + ".tar"};
            names << QStringLiteral("legacy%1/layer.tar").arg(hex.left(8));
        }
        const QByteArray configData = json(config.isEmpty() ? configFor(diffIds) : config);
        const QString configName = blobsLayout ? QStringLiteral("blobs/sha256/") + hexOf(sha256Of(configData))
                                               : hexOf(sha256Of(configData)) + QStringLiteral(".json");
        members << TarMember {configName.toUtf8(), AE_IFREG, configData};
        const QJsonArray manifest {QJsonObject {
            {QStringLiteral("Config"), configName},
            {QStringLiteral("RepoTags"), QJsonArray::fromStringList(repoTags)},
            {QStringLiteral("Layers"), QJsonArray::fromStringList(layerNames.isEmpty() ? names : layerNames)},
        }};
        if (withManifest)
            members << TarMember {"manifest.json", AE_IFREG,
                                  manifestOverride.isEmpty() ? json(manifest) : manifestOverride};
        return makeTar(members);
    }
};

// A tar of an OCI image layout holding one image.
struct OciArchive {
    QList<QByteArray> layers {makeTar({{"etc/os-release", AE_IFREG, "ID=oci\n"}}, TarCompression::Gzip)};
    QString refName = QStringLiteral("latest");
    bool corruptLayerBlob = false;
    bool dropConfigBlob = false;

    QByteArray build() const
    {
        QList<TarMember> members {{"oci-layout", AE_IFREG, R"({"imageLayoutVersion":"1.0.0"})"},
                                  {"blobs/sha256", AE_IFDIR, {}, {}, false, 0755}};
        QJsonArray descriptors;
        QStringList diffIds;
        for (const QByteArray &layer : layers) {
            const QString digest = sha256Of(layer);
            members << TarMember {"blobs/sha256/" + hexOf(digest).toUtf8(), AE_IFREG,
                                  corruptLayerBlob ? QByteArray(layer).append("tampered") : layer};
            descriptors.append(QJsonObject {
                {QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.layer.v1.tar+gzip")},
                {QStringLiteral("digest"), digest},
                {QStringLiteral("size"), layer.size()}});
            diffIds << sha256Of(gunzip(layer)); // the diff id: the layer uncompressed
        }
        const QByteArray config = json(configFor(diffIds));
        if (!dropConfigBlob)
            members << TarMember {"blobs/sha256/" + hexOf(sha256Of(config)).toUtf8(), AE_IFREG, config};
        const QByteArray manifest = json(QJsonObject {
            {QStringLiteral("schemaVersion"), 2},
            {QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.manifest.v1+json")},
            {QStringLiteral("config"),
             QJsonObject {{QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.config.v1+json")},
                          {QStringLiteral("digest"), sha256Of(config)},
                          {QStringLiteral("size"), config.size()}}},
            {QStringLiteral("layers"), descriptors},
        });
        members << TarMember {"blobs/sha256/" + hexOf(sha256Of(manifest)).toUtf8(), AE_IFREG, manifest};
        members << TarMember {
            "index.json", AE_IFREG,
            json(QJsonObject {
                {QStringLiteral("schemaVersion"), 2},
                {QStringLiteral("manifests"),
                 QJsonArray {QJsonObject {
                     {QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.manifest.v1+json")},
                     {QStringLiteral("digest"), sha256Of(manifest)},
                     {QStringLiteral("size"), manifest.size()},
                     {QStringLiteral("annotations"),
                      QJsonObject {{QStringLiteral("org.opencontainers.image.ref.name"), refName}}},
                 }}},
            })};
        return makeTar(members);
    }

    static QByteArray gunzip(const QByteArray &data)
    {
        archive *reader = archive_read_new();
        archive_read_support_filter_all(reader);
        archive_read_support_format_raw(reader);
        archive_read_open_memory(reader, data.constData(), data.size());
        archive_entry *entry = nullptr;
        archive_read_next_header(reader, &entry);
        QByteArray out;
        char buffer[65536];
        la_ssize_t n = 0;
        while ((n = archive_read_data(reader, buffer, sizeof buffer)) > 0)
            out.append(buffer, n);
        archive_read_free(reader);
        return out;
    }
};

} // namespace Hamlet::Test
