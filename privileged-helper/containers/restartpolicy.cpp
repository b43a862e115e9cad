#include "restartpolicy.h"

#include <algorithm>

namespace Hamlet::Containers {

namespace {
constexpr std::chrono::milliseconds kFirstDelay(100);
constexpr std::chrono::milliseconds kMaxDelay(10000);
constexpr std::chrono::milliseconds kResetAfter(10000);

ErrorReply badPolicy(const QString &text)
{
    return invalidArgument(QStringLiteral("unknown restart policy \"%1\": use \"no\", \"on-failure\" (or "
                                          "\"on-failure:N\" with N from 1 to %2), \"always\" or \"unless-stopped\"")
                               .arg(text)
                               .arg(RestartPolicy::kMaxRetriesLimit));
}
} // namespace

Result<RestartPolicy> RestartPolicy::parse(const QString &text)
{
    RestartPolicy policy;
    if (text.isEmpty() || text == QLatin1String("no"))
        return policy;
    if (text == QLatin1String("always")) {
        policy.mode = Mode::Always;
        return policy;
    }
    if (text == QLatin1String("unless-stopped")) {
        policy.mode = Mode::UnlessStopped;
        return policy;
    }
    const QString onFailure = QStringLiteral("on-failure");
    if (text == onFailure) {
        policy.mode = Mode::OnFailure;
        return policy;
    }
    if (!text.startsWith(onFailure + QLatin1Char(':')))
        return badPolicy(text);
    const QString count = text.mid(onFailure.size() + 1);
    bool ok = false;
    const int retries = count.toInt(&ok);
    // Digits only: toInt accepts "+3" and " 3", which are not what a person would write.
    if (!ok || count.isEmpty() || !std::all_of(count.cbegin(), count.cend(), [](QChar c) { return c.isDigit(); })
        || retries < 1 || retries > kMaxRetriesLimit)
        return badPolicy(text);
    policy.mode = Mode::OnFailure;
    policy.maxRetries = retries;
    return policy;
}

QString RestartPolicy::toString() const
{
    switch (mode) {
    case Mode::No:
        return QStringLiteral("no");
    case Mode::OnFailure:
        return maxRetries > 0 ? QStringLiteral("on-failure:%1").arg(maxRetries) : QStringLiteral("on-failure");
    case Mode::Always:
        return QStringLiteral("always");
    case Mode::UnlessStopped:
        return QStringLiteral("unless-stopped");
    }
    return QStringLiteral("no");
}

bool RestartPolicy::wantsRestart(int exitCode) const
{
    switch (mode) {
    case Mode::No:
        return false;
    case Mode::OnFailure:
        return exitCode != 0;
    case Mode::Always:
    case Mode::UnlessStopped:
        return true;
    }
    return false;
}

std::chrono::milliseconds restartBackoff(std::chrono::milliseconds previous, std::chrono::milliseconds ranFor)
{
    if (previous.count() <= 0 || ranFor >= kResetAfter)
        return kFirstDelay;
    return std::min(previous * 2, kMaxDelay);
}

} // namespace Hamlet::Containers
