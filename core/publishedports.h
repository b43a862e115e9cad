#pragma once

#include <QList>
#include <QString>
#include <QUrl>
#include <QVariant>

#include <optional>

namespace Hamlet {

// One published port of an instance, as the spec key "ports" carries it (aa{sv}: hostPort,
// guestPort, protocol, hostAddress). The client side reads it back from the Spec property to show
// it and builds it from the wizard's table; the helper stays the authority on what is allowed.
struct PublishedPort {
    uint hostPort = 0;
    uint guestPort = 0;
    QString protocol = QStringLiteral("tcp");
    QString hostAddress; // empty: every address of the host

    bool operator==(const PublishedPort &) const = default;

    // "8080 → 80", "127.0.0.1:5353 → 53/udp".
    QString label() const;
    // What a browser opens for it: http://127.0.0.1:PORT, or the host address it is bound to.
    // Empty for UDP (no web page behind it).
    QUrl url() const;
    QVariantMap toVariantMap() const;
};

namespace PublishedPorts {
// The "ports" value of a spec (a QList<QVariantMap>, or the QDBusArgument it is when nested in
// the Spec property); an absent or unreadable value gives no ports.
QList<PublishedPort> fromSpec(const QVariant &ports);
// The value to put under "ports" in a spec: marshals as aa{sv}.
QVariant toSpec(const QList<PublishedPort> &ports);
// A port number typed by a person: 1..65535, or nothing.
std::optional<uint> parsePort(const QString &text);
// Whether two mappings claim the same host port (same protocol, and the same address or either
// on every address): the helper refuses that.
bool clash(const PublishedPort &a, const PublishedPort &b);
} // namespace PublishedPorts

} // namespace Hamlet
