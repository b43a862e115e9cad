#include "failpoints.h"

#include <QByteArray>

#include <csignal>
#include <unistd.h>

namespace Hamlet::FailPoints {

namespace {

struct Armed {
    QByteArray stage;
    bool abort = false;
};

const Armed &armed()
{
    static const Armed value = [] {
        const QByteArray setting = qgetenv("HAMLET_FAILPOINT");
        const qsizetype colon = setting.lastIndexOf(':');
        if (colon <= 0)
            return Armed {};
        return Armed {setting.left(colon), setting.mid(colon + 1) == "abort"};
    }();
    return value;
}

} // namespace

std::optional<ErrorReply> hit(std::string_view stage)
{
    const Armed &point = armed();
    if (point.stage.isEmpty() || std::string_view(point.stage.constData(), point.stage.size()) != stage)
        return std::nullopt;
    if (point.abort) {
        ::kill(::getpid(), SIGKILL);
        ::_exit(137); // not reached
    }
    return ErrorReply {Error::Failed,
                       QStringLiteral("fail point %1 (HAMLET_FAILPOINT)")
                           .arg(QString::fromLatin1(stage.data(), qsizetype(stage.size())))};
}

} // namespace Hamlet::FailPoints
