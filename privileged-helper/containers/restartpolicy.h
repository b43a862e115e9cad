#pragma once

#include "result.h"

#include <QString>

#include <chrono>

namespace Hamlet::Containers {

// The spec key "restart": what the helper does when a container's process ends by itself.
//   no              never restarts (the default)
//   on-failure[:N]  restarts after a non-zero (or unknown) exit status, at most N times in a row
//                   (no N: without limit); once it gives up the container is "failed"
//   always          restarts after any exit, and at helper start when it is not running
//   unless-stopped  the same as always here: a person's Stop is never undone by any policy
//                   (Docker's always differs only there); accepted so that specs carry over
// A restart waits a back-off first (backoff()), and the count of restarts in a row starts again
// when a person starts the container.
struct RestartPolicy {
    enum class Mode { No, OnFailure, Always, UnlessStopped };
    Mode mode = Mode::No;
    int maxRetries = 0; // on-failure:N; 0: no limit

    static constexpr int kMaxRetriesLimit = 1000;

    // InvalidArgument, saying what is accepted, for anything else ("sometimes", "on-failure:0").
    static Result<RestartPolicy> parse(const QString &text);
    QString toString() const;

    // Whether a process that ended with exitCode (-1 unknown: it ended while the helper was
    // away) is to be started again, given the restarts already made in a row.
    bool wantsRestart(int exitCode) const;
    // on-failure:N has used its N restarts.
    bool exhausted(int restartsInARow) const
    {
        return mode == Mode::OnFailure && maxRetries > 0 && restartsInARow >= maxRetries;
    }

    friend bool operator==(const RestartPolicy &, const RestartPolicy &) = default;
};

// How long to wait before the next restart: 100 ms after a run of 10 s or more (or for the first
// restart, previous == 0), else twice the previous wait, at most 10 s. A process that dies at once
// is so retried ever more slowly, and one that crashes now and then is back quickly each time.
std::chrono::milliseconds restartBackoff(std::chrono::milliseconds previous, std::chrono::milliseconds ranFor);

} // namespace Hamlet::Containers
