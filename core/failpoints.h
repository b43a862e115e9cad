#pragma once

#include "errors.h"

#include <array>
#include <optional>
#include <string_view>

// Fail points: named stages where a test makes the helper die (SIGKILL to itself, as a crash
// would) or a step return an error, to prove that recovery and undo leave nothing behind (the
// pattern of etcd's gofail and TiKV's fail-rs). One list, used by the helper's code and by
// tests/helper/tst_failpoints.
//
// Armed by the environment: HAMLET_FAILPOINT=STAGE:abort or STAGE:error, read once. The shipped
// binary is the tested one; whoever sets a root service's environment is root already, and the
// bus's activation and systemd start it with an environment of their own. A stage that is not
// armed costs one comparison.
namespace Hamlet::FailPoints {

inline constexpr std::string_view ContainerImageResolved = "container-image-resolved";
inline constexpr std::string_view ContainerOverlayMounted = "container-overlay-mounted";
inline constexpr std::string_view ContainerNetworkReady = "container-network-ready";
inline constexpr std::string_view ContainerRuntimeStarted = "container-runtime-started";
inline constexpr std::string_view ContainerDeleteHalfway = "container-delete-halfway";
inline constexpr std::string_view VmDefined = "vm-defined";
inline constexpr std::string_view VmStarted = "vm-started";
inline constexpr std::string_view PullMidLayer = "pull-mid-layer";
inline constexpr std::string_view ImportMidArchive = "import-mid-archive";

inline constexpr std::array All {ContainerImageResolved,
                                 ContainerOverlayMounted,
                                 ContainerNetworkReady,
                                 ContainerRuntimeStarted,
                                 ContainerDeleteHalfway,
                                 VmDefined,
                                 VmStarted,
                                 PullMidLayer,
                                 ImportMidArchive};

// At `stage`: nothing when it is not armed; an error to return from the step when armed with
// "error"; never returns when armed with "abort".
std::optional<ErrorReply> hit(std::string_view stage);

} // namespace Hamlet::FailPoints
