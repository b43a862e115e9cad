#pragma once

#include <QProcess>
#include <QString>

#include <memory>

namespace Hamlet::Test {

// A stand-in for "the internet" that never leaves the machine: a network namespace of this test
// process with a veth to the host (10.198.N.0/30, the host end .1, the upstream .2) and a server on
// port 9000 there that answers every connection with the address it came from ("from A.B.C.D\n"),
// so a test sees whether an instance's traffic was masqueraded behind the host's address. The
// names carry the test's pid: tests of other developers run at the same time.
class FakeUpstream
{
public:
    FakeUpstream();
    ~FakeUpstream();
    FakeUpstream(const FakeUpstream &) = delete;
    FakeUpstream &operator=(const FakeUpstream &) = delete;

    bool start(QString *error);
    QString address() const { return m_net + QStringLiteral(".2"); } // where to connect
    QString hostAddress() const { return m_net + QStringLiteral(".1"); } // what it should see
    static constexpr int port = 9000;

private:
    QString m_namespace;
    QString m_hostEnd;
    QString m_net; // "10.198.N"
    std::unique_ptr<QProcess> m_server;
};

} // namespace Hamlet::Test
