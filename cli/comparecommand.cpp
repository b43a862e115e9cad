#include "comparecommand.h"

#include "comparetable.h"

namespace Hamlet::Ctl {

QCoro::Task<int> compareCommand(HelperClient &client, QStringList arguments, QTextStream &out, QTextStream &err)
{
    const bool markdown = arguments.removeAll(QStringLiteral("--markdown")) > 0;
    if (arguments.size() != 2) {
        err << "usage: hamletctl compare A B [--markdown]" << Qt::endl;
        co_return 2;
    }
    const QString first = arguments.at(0);
    const QString second = arguments.at(1);
    const Result<CompareTable::Side> a = co_await CompareTable::readSide(client, first);
    if (const auto *error = std::get_if<ClientError>(&a)) {
        err << error->name << ": " << error->message << Qt::endl;
        co_return 1;
    }
    const Result<CompareTable::Side> b = co_await CompareTable::readSide(client, second);
    if (const auto *error = std::get_if<ClientError>(&b)) {
        err << error->name << ": " << error->message << Qt::endl;
        co_return 1;
    }
    const CompareTable::Side &left = std::get<CompareTable::Side>(a);
    const CompareTable::Side &right = std::get<CompareTable::Side>(b);
    out << (markdown ? CompareTable::asMarkdown(left, right) : CompareTable::asText(left, right)) << Qt::flush;
    co_return 0;
}

} // namespace Hamlet::Ctl
