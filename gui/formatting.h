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
// A "nice" chart axis top at or above value: 1, 2 or 5 times a power of ten.
double niceAxisTop(double value);

} // namespace Hamlet::Format
