#pragma once

#include "helperclient.h"

#include <QString>
#include <QStringList>
#include <QTextStream>

#include <QCoro/QCoroTask>

// hamletctl's image verbs: images, pull REF [k=v...], import FILE FORMAT [k=v...], rmi NAME.
// Each returns the process exit code (0 ok, 1 refused or failed, 2 bad usage).
namespace Hamlet::Ctl::Images {

QCoro::Task<int> list(HelperClient &client, QTextStream &out, QTextStream &err);
QCoro::Task<int> pull(HelperClient &client, QStringList arguments, QTextStream &out, QTextStream &err);
// FILE "-" is standard input (a pipe works: the helper reads the stream once).
QCoro::Task<int> importFile(HelperClient &client, QStringList arguments, QTextStream &out, QTextStream &err);
QCoro::Task<int> remove(HelperClient &client, QString name, QTextStream &err);

} // namespace Hamlet::Ctl::Images
