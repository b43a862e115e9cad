#pragma once

#include <QString>

// How numbers read in the window: sizes in binary units, CPU in percent of one core.
namespace Hamlet::Format {

// "512 KiB", "38 MiB", "1.5 GiB".
QString bytes(qulonglong value);
// "38/64 MiB" (both in the limit's unit), or "38 MiB" without a limit.
QString memoryOf(qulonglong used, qulonglong limit);
// "43%", "1.2%", "0%".
QString percent(double value);
// "340 B/s", "1.2 MiB/s".
QString byteRate(double bytesPerSecond);
// "0.5 CPU", "2 CPUs".
QString cores(double value);
// "1st", "2nd", "3rd", "4th", "11th", "22nd".
QString ordinal(int value);
// A container's restart policy at work, for the list's State cell: "restarting, 3rd time in 1 min"
// (next: the restart about to happen; spanMs: since the first restart of the series, -1 none),
// "running, restarted 3 times".
QString restarting(int next, qint64 spanMs);
QString restartedRunning(const QString &state, int restarts);
// A "nice" chart axis top at or above value: 1, 2 or 5 times a power of ten.
double niceAxisTop(double value);

} // namespace Hamlet::Format
