#include "oomscore.h"

#include <QFile>

namespace Hamlet {

QString resetOomScoreAdj(qint64 pid)
{
    QFile file(QStringLiteral("/proc/%1/oom_score_adj").arg(pid));
    if (!file.open(QIODevice::WriteOnly))
        return QStringLiteral("cannot open %1: %2").arg(file.fileName(), file.errorString());
    if (file.write(QByteArray::number(InstanceOomScoreAdj)) <= 0 || !file.flush())
        return QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString());
    return {};
}

} // namespace Hamlet
