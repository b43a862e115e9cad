#pragma once

#include <QString>

namespace Hamlet {

// The helper runs with OOMScoreAdjust=-500 (its systemd unit) so that the OOM killer spares the
// one process that manages everything; whatever it starts inherits that value. An instance must
// be as killable as any other workload: its score adjustment goes back to 0.
inline constexpr int InstanceOomScoreAdj = 0;

// Writes InstanceOomScoreAdj to /proc/PID/oom_score_adj; "" on success, else why not.
QString resetOomScoreAdj(qint64 pid);

} // namespace Hamlet
