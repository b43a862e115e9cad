#pragma once

#include <QString>
#include <QStringList>
#include <QVariantMap>

namespace Hamlet {

// What a host can do, as hamlet-helper detected it: the value behind GetCapabilities.
struct Capabilities {
    QString version;
    QString runtime;
    QString runtimeVersion;
    // A known weakness of the runtime (e.g. a runc without the CVE-2024-21626 fix), or "".
    QString runtimeWarning;
    QString cgroupVersion;
    QString libvirtUri;
    QString virtualization;
    QString kvmDiagnosis;
    QString busybox;
    QString kernel;
    uint hostCpus = 0;
    qulonglong hostMemory = 0;

    QVariantMap toVariantMap() const;
    static Capabilities fromVariantMap(const QVariantMap &map);
    // The keys every GetCapabilities reply carries.
    static QStringList keys();

    // One line for a status bar: "runc 1.1.5 · cgroup hybrid · libvirt embedded · TCG".
    QString summary() const;
    // Things a person should know, each a sentence ("KVM unavailable: ...").
    QStringList diagnoses() const;

    friend bool operator==(const Capabilities &, const Capabilities &) = default;
};

} // namespace Hamlet
