#pragma once

#include "helperclient.h"

#include <QStringList>
#include <QTextStream>

#include <QCoro/QCoroTask>

// hamletctl compare A B [--markdown]: the two instances side by side, the table the window's
// Compare page shows (CompareTable), from the helper's measurements. Exit code 0, 1 (refused or
// not found), 2 (bad usage).
namespace Hamlet::Ctl {

QCoro::Task<int> compareCommand(HelperClient &client, QStringList arguments, QTextStream &out, QTextStream &err);

} // namespace Hamlet::Ctl
