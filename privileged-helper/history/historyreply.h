#pragma once

#include "dbustypes.h"
#include "historystore.h"

namespace Hamlet::History {

// A read window as GetHistory sends it: times in Unix ns, a series per measured name (NaN where a
// point lacks it), min and max left empty for single samples.
struct Reply {
    qlonglong stepNs = 0;
    TimeList timesNs;
    HistorySeriesList series;
};
Reply toReply(const Window &window);

} // namespace Hamlet::History
