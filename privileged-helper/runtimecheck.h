#pragma once

#include <QString>

#include <optional>

namespace Hamlet::RuntimeCheck {

// CVE-2024-21626 ("Leaky Vessels"): runc before 1.1.12 leaks a host directory fd into the
// container's init, so a crafted image or `workdir` reaches the host's filesystem. Distributions
// backport the fix (Debian 12: 1.1.5+ds1-1+deb12u1), so the upstream version alone cannot tell:
// the package version is asked too. Hamlet only warns; it never refuses a runtime.
inline constexpr const char *FixedUpstream = "1.1.12";
inline constexpr const char *FixedDebianBookworm = "1.1.5+ds1-1+deb12u1";

struct Facts {
    QString runtimeName; // "runc", "crun"
    QString versionOutput; // all of `runc --version`
    // Whether the Debian package that installed the runtime is at least the fixed one; none when
    // the runtime is not a Debian package's (or dpkg cannot say).
    std::optional<bool> packageCarriesFix;
    QString packageVersion;
};

// The sentence for GetCapabilities' runtimeWarning and the status line, or "" when there is
// nothing to warn about. Pure.
QString warningFor(const Facts &facts);

// Reads the facts: `RUNTIME --version`, and dpkg-query/dpkg --compare-versions when the runtime
// file belongs to the Debian package "runc".
Facts read(const QString &runtimePath);

} // namespace Hamlet::RuntimeCheck
