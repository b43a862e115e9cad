#pragma once

#include <QString>
#include <QVariant>
#include <QVariantMap>

namespace Hamlet {

// Turns what Inspect returns into rows a person can read: namespaces as its own, shared with the
// host (with what that means) or not verified (with why), capability masks as counts, sizes with units, seccomp modes
// by name; keys it does not know are shown as they are, so nothing the helper reports is hidden.
class InspectFormatter
{
public:
    // Rows of an HTML table (<tr>…</tr>) for the Isolation section.
    static QString rows(const QVariantMap &parts);
    // One table row, escaped.
    static QString row(const QString &label, const QString &value);
    // Values nested in an a{sv} arrive as QDBusArgument; this gives plain QVariants back.
    static QVariant plain(const QVariant &value);
    // Any value as short text ("a, b", "k=v", "yes").
    static QString text(const QVariant &value);
};

} // namespace Hamlet
