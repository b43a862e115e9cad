#pragma once

#include <QString>
#include <QStringList>

#include <QCoro/QCoroTask>

// hamletctl's verbs over HelperClient. Output is "key: value" lines on stdout; a failure prints
// the error name and message on stderr and sets a non-zero exit code.
namespace Hamlet::Ctl {

QString usage();
QCoro::Task<> run(QString busAddress, QStringList arguments, int *exitCode);

} // namespace Hamlet::Ctl
