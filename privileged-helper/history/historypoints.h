#pragma once

#include <QtGlobal>

#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace Hamlet::History {

// The series a history keeps, in this order everywhere (the store's columns, GetHistory's series,
// the export's columns): cpu (cores busy), memory, memoryLimit, pids, diskReadBytes,
// diskWriteBytes, netRxBytes, netTxBytes (cumulative, as Samples carries them), and the PSI
// pressure series where the host has them.
inline constexpr int SeriesCount = 11;
inline constexpr std::array<const char *, SeriesCount> SeriesNames {
    "cpu",        "memory",     "memoryLimit", "pids",           "diskReadBytes", "diskWriteBytes",
    "netRxBytes", "netTxBytes", "cpuPressure", "memoryPressure", "ioPressure"};

// A value that was not measured: never stored or shown as 0.
inline constexpr double Absent = std::numeric_limits<double>::quiet_NaN();
inline bool isAbsent(double value)
{
    return std::isnan(value);
}

// One sample of one instance, at wall-clock time timeMs (Unix milliseconds).
struct Point {
    qint64 timeMs = 0;
    std::array<double, SeriesCount> values {Absent, Absent, Absent, Absent, Absent, Absent,
                                            Absent, Absent, Absent, Absent, Absent};
};

// min/mean/max of one series over a bucket, from the samples where it was measured. count 0:
// absent in the whole bucket. Merging keeps the mean exact (weighted by counts).
struct Aggregate {
    double min = Absent;
    double max = Absent;
    double sum = 0;
    quint32 count = 0;

    void add(double value);
    void merge(const Aggregate &other);
    double mean() const { return count == 0 ? Absent : sum / count; }
};

// The samples of [startMs, startMs + step).
struct Bucket {
    qint64 startMs = 0;
    std::array<Aggregate, SeriesCount> series {};

    void add(const Point &point);
    void merge(const Bucket &other);
    bool empty() const;
};

inline qint64 bucketStart(qint64 timeMs, qint64 stepMs)
{
    return (timeMs >= 0 ? timeMs / stepMs : (timeMs - stepMs + 1) / stepMs) * stepMs;
}

// Points (sorted by time) into buckets of stepMs, aligned to multiples of stepMs since the epoch;
// buckets with no point are left out.
std::vector<Bucket> downsample(const std::vector<Point> &points, qint64 stepMs);
// Buckets (sorted) merged into coarser ones of stepMs (a multiple of theirs).
std::vector<Bucket> rebucket(const std::vector<Bucket> &buckets, qint64 stepMs);

} // namespace Hamlet::History
