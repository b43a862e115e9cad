#pragma once

#include "helperclient.h"

#include <QList>
#include <QString>
#include <QVariantMap>

// Compare's table, made once for the window and hamletctl: two instances side by side from the
// helper's measurements (Inspect's "measured" part). A figure the helper did not measure reads
// "unknown: <why>", never 0.
namespace Hamlet::CompareTable {

struct Side {
    QString name;
    QString kind; // "container" or "vm"
    QString state;
    QVariantMap inspect; // Inspect's parts, with "measured"
};

struct Row {
    QString label;
    QString a;
    QString b;
    QString aSource; // where the helper read it ("" for facts that need no saying)
    QString bSource;
};

QList<Row> rows(const Side &a, const Side &b);

// One side as the helper tells it now: Kind and State (properties) and Inspect.
QCoro::Task<Result<Side>> readSide(HelperClient &client, QString name);

// A fixed-width table for a terminal, then how each figure was read.
QString asText(const Side &a, const Side &b);
// The same as GitHub-flavoured Markdown.
QString asMarkdown(const Side &a, const Side &b);

// The Overview's "what walls this instance has", in one line, from Inspect's parts.
QString wallsLine(const QVariantMap &inspect);

// "75 ms", "6.07 s"; "12.4 MiB".
QString duration(double ms);
QString bytes(double value);

} // namespace Hamlet::CompareTable
