#pragma once

#include "helperclient.h"

#include <QString>
#include <QStringList>
#include <QTextStream>

#include <QCoro/QCoroTask>
#include <optional>

// hamletctl history NAME [--from T] [--to T] [--format csv|json]: an instance's recorded series,
// one row per point, as the helper keeps them (1 s for the last hour, then 1 min and 10 min
// means). Returns the exit code (0 ok, 1 refused or failed, 2 bad usage).
namespace Hamlet::Ctl::History {

// T: "now", a relative time ("-90s", "-2min", "-1h", "-7d", "-1w") or an ISO 8601 time (without
// an offset: local time). Unix ns, or nothing when T is none of these.
std::optional<qint64> parseTime(const QString &text, qint64 nowNs);

// The export of what GetHistory answered: columns time (Unix seconds), cpu, memory, memoryLimit,
// pids, diskReadBytes, diskWriteBytes, netRxBytes, netTxBytes, then the pressure series present;
// a value not measured is empty (CSV) or null (JSON), never 0.
QString toCsv(const HistoryData &history);
QString toJson(const HistoryData &history);

QCoro::Task<int> run(HelperClient &client, QStringList arguments, QTextStream &out, QTextStream &err);

} // namespace Hamlet::Ctl::History
