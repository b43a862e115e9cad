#pragma once

#include <QString>
#include <QVariantMap>

namespace Hamlet::Containers {

// One side of a namespace comparison: the inode behind /proc/PID/ns/TYPE, or why it could not be
// read. An unread inode is never 0-as-a-value: it makes the verdict "unknown".
struct NamespaceLink {
    quint64 inode = 0;
    QString problem; // non-empty: not read

    bool read() const { return problem.isEmpty(); }
};

NamespaceLink readNamespaceLink(const QString &path);

// The verdict the Inspect contract carries for one namespace type: {state: "isolated" | "shared" |
// "unknown", inode, hostInode (each only when read), reason (only for "unknown")}. Isolation is
// claimed only when both inodes were read and differ.
QVariantMap compareNamespace(const NamespaceLink &inside, const NamespaceLink &host);

// For every namespace type a container can have: the container's own (/proc/PID/ns) against the
// helper's (/proc/self/ns: the helper runs in the host's namespaces). procRoot is "/proc" outside
// tests.
QVariantMap compareNamespaces(qint64 pid, const QString &procRoot = QStringLiteral("/proc"));

} // namespace Hamlet::Containers
