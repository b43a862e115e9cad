#include "fakeupstream.h"

#include <unistd.h>

namespace Hamlet::Test {

namespace {
bool sh(const QString &script, QString *error)
{
    QProcess process;
    process.start(QStringLiteral("sh"), {QStringLiteral("-c"), script});
    if (!process.waitForFinished(20000) || process.exitCode() != 0) {
        *error = QStringLiteral("%1: %2").arg(script, QString::fromUtf8(process.readAllStandardError()));
        return false;
    }
    return true;
}
} // namespace

FakeUpstream::FakeUpstream()
    : m_namespace(QStringLiteral("hmtup%1").arg(::getpid()))
    , m_hostEnd(QStringLiteral("hmtu%1").arg(::getpid()))
    , m_net(QStringLiteral("10.198.%1").arg(::getpid() % 250))
{ }

bool FakeUpstream::start(QString *error)
{
    const QString script = QStringLiteral("ip netns add %2 && ip link add %1 type veth peer name up0 netns %2 && "
                                          "ip addr add %3.1/30 dev %1 && ip link set %1 up && "
                                          "ip -n %2 addr add %3.2/30 dev up0 && ip -n %2 link set up0 up && "
                                          "ip -n %2 link set lo up")
                               .arg(m_hostEnd, m_namespace, m_net);
    if (!sh(script, error))
        return false;
    m_server = std::make_unique<QProcess>();
    m_server->start(QStringLiteral("ip"),
                    {QStringLiteral("netns"), QStringLiteral("exec"), m_namespace, QStringLiteral("python3"),
                     QStringLiteral("-c"),
                     QStringLiteral("import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET, "
                                    "socket.SO_REUSEADDR, 1)\ns.bind(('0.0.0.0', %1))\ns.listen()\n"
                                    "while True:\n    c, peer = s.accept()\n"
                                    "    c.sendall(('from ' + peer[0] + '\\n').encode())\n    c.close()\n")
                         .arg(port)});
    if (!m_server->waitForStarted()) {
        *error = QStringLiteral("cannot run python3 in %1: %2").arg(m_namespace, m_server->errorString());
        return false;
    }
    return true;
}

FakeUpstream::~FakeUpstream()
{
    if (m_server) {
        m_server->kill();
        m_server->waitForFinished(5000);
    }
    QString ignored;
    sh(QStringLiteral("ip link del %1 2>/dev/null; ip netns del %2 2>/dev/null; true").arg(m_hostEnd, m_namespace),
       &ignored);
}

} // namespace Hamlet::Test
