#include "historyreply.h"

namespace Hamlet::History {

Reply toReply(const Window &window)
{
    Reply reply;
    reply.stepNs = window.stepMs * 1'000'000;
    reply.timesNs.reserve(static_cast<qsizetype>(window.buckets.size()));
    for (const Bucket &bucket : window.buckets)
        reply.timesNs << bucket.startMs * 1'000'000;
    for (int i = 0; i < SeriesCount; ++i) {
        const bool measured = std::any_of(window.buckets.begin(), window.buckets.end(),
                                          [i](const Bucket &bucket) { return bucket.series[i].count > 0; });
        if (!measured)
            continue; // absent in the whole window: left out, never a row of zeros
        HistorySeries series {QString::fromLatin1(SeriesNames[i]), {}, {}, {}};
        for (const Bucket &bucket : window.buckets) {
            const Aggregate &aggregate = bucket.series[i];
            series.mean << aggregate.mean();
            if (!window.single) {
                series.min << (aggregate.count ? aggregate.min : Absent);
                series.max << (aggregate.count ? aggregate.max : Absent);
            }
        }
        reply.series << series;
    }
    return reply;
}

} // namespace Hamlet::History
