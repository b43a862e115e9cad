#pragma once

#include <QString>

// What a client needs to know when it runs inside a Flatpak: the sandbox decides whether the
// helper on the host's system bus is reachable at all, and the right advice differs (grant the
// permission vs. install the host package). Read from /.flatpak-info, which flatpak writes into
// every sandbox; outside one the file does not exist.
namespace Hamlet {

struct FlatpakSandbox {
    bool inside = false;
    QString appId;
    // The sandbox's system bus policy lets it talk to dev.hamlet.Helper1.
    bool mayTalkToHelper = false;

    static FlatpakSandbox read(const QString &infoPath = QStringLiteral("/.flatpak-info"));
    // Advice for a failed call to the helper with this D-Bus error name; "" when the sandbox has
    // nothing to add (outside a Flatpak, or an error the sandbox does not explain).
    QString hintFor(const QString &errorName) const;
};

} // namespace Hamlet
