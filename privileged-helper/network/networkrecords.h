#pragma once

#include "portmapping.h"
#include "result.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace Hamlet::Network {

// What the helper added to the network for one instance: enough to take it all back after a
// crash (the CNI DEL needs the same configuration, the namespace and the ADD result). Written
// before the ADD starts (result empty) and again after it, in STATE/network/attachments/NAME.json.
struct Attachment {
    QString name; // the instance, also the CNI container id
    QString kind; // "container" (a veth in netns) or "vm" (an address reserved for a MAC)
    QString netns; // container: path of the namespace file
    QString mac; // vm: the NIC's MAC; container: eth0's, from the result
    QString address; // without prefix, e.g. 10.90.0.5
    QString hostInterface; // the host end: veth (container) or tap (vm)
    QList<PortMapping> ports;
    QJsonObject result; // the CNI ADD result; empty while the ADD runs
    // The CNI list the ADD ran (a DEL runs the same, whatever a later helper would use); empty
    // in records written before it was kept.
    QJsonObject cniList;

    QJsonObject toJson() const;
    static Attachment fromJson(const QJsonObject &json);
};

// Atomic (QSaveFile: temp, fsync, rename).
Containers::Status saveJson(const QString &path, const QJsonObject &json);
QJsonObject loadJson(const QString &path);

} // namespace Hamlet::Network
