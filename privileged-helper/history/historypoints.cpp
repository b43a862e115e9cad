#include "historypoints.h"

#include <algorithm>

namespace Hamlet::History {

void Aggregate::add(double value)
{
    if (isAbsent(value))
        return;
    min = count == 0 ? value : std::min(min, value);
    max = count == 0 ? value : std::max(max, value);
    sum += value;
    ++count;
}

void Aggregate::merge(const Aggregate &other)
{
    if (other.count == 0)
        return;
    min = count == 0 ? other.min : std::min(min, other.min);
    max = count == 0 ? other.max : std::max(max, other.max);
    sum += other.sum;
    count += other.count;
}

void Bucket::add(const Point &point)
{
    for (int i = 0; i < SeriesCount; ++i)
        series[i].add(point.values[i]);
}

void Bucket::merge(const Bucket &other)
{
    for (int i = 0; i < SeriesCount; ++i)
        series[i].merge(other.series[i]);
}

bool Bucket::empty() const
{
    return std::all_of(series.begin(), series.end(), [](const Aggregate &a) { return a.count == 0; });
}

std::vector<Bucket> downsample(const std::vector<Point> &points, qint64 stepMs)
{
    std::vector<Bucket> buckets;
    for (const Point &point : points) {
        const qint64 start = bucketStart(point.timeMs, stepMs);
        if (buckets.empty() || buckets.back().startMs != start)
            buckets.push_back(Bucket {start, {}});
        buckets.back().add(point);
    }
    return buckets;
}

std::vector<Bucket> rebucket(const std::vector<Bucket> &buckets, qint64 stepMs)
{
    std::vector<Bucket> merged;
    for (const Bucket &bucket : buckets) {
        const qint64 start = bucketStart(bucket.startMs, stepMs);
        if (merged.empty() || merged.back().startMs != start)
            merged.push_back(Bucket {start, {}});
        merged.back().merge(bucket);
    }
    return merged;
}

} // namespace Hamlet::History
