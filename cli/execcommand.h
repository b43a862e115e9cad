#pragma once

#include "helperclient.h"

#include <QString>
#include <QStringList>
#include <QTextStream>

#include <QCoro/QCoroTask>

// hamletctl exec NAME [-- ARGV...]: a process (sh by default) in a running container on a pty,
// with this terminal bridged to it (raw mode while it runs, when stdin is a terminal). Returns the
// process's exit status as the helper's ExecExited reports it; 255 when that is unknown, 1 when
// the helper refused.
namespace Hamlet::Ctl {

QCoro::Task<int> execCommand(HelperClient &client, QString name, QStringList argv, QTextStream &err);

} // namespace Hamlet::Ctl
