#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace Hamlet::Test {

class SystemLibvirt;

// Result of a program run to completion.
struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    bool finished = false;
};

// The real system pieces a test needs, on private addresses: a dbus-daemon used as the system bus
// (with the system's and the project's bus policies), the real polkitd with the project's action
// file and test rules, and hamlet-helper from the build tree. Everything is stopped in the
// destructor and, should the test process die, by PR_SET_PDEATHSIG.
//
// Test users (created on first use): hamlet-test-allowed (polkit: yes to dev.hamlet.*, so an
// administrator: manage-others too), hamlet-test-other (hamlet-test-owners.rules: yes to
// dev.hamlet.* but no to dev.hamlet.manage-others, an ordinary user), hamlet-test-denied
// (polkit: no), hamlet-test-slow (polkit answers yes after 2 s).
class TestSystem
{
public:
    static inline const QString AllowedUser = QStringLiteral("hamlet-test-allowed");
    static inline const QString DeniedUser = QStringLiteral("hamlet-test-denied");
    static inline const QString SlowUser = QStringLiteral("hamlet-test-slow");
    // polkit: yes, except for the details network=host, privilegedPorts and userns=host.
    static inline const QString PlainUser = QStringLiteral("hamlet-test-plain");
    static inline const QString OtherUser = QStringLiteral("hamlet-test-other");

    TestSystem();
    ~TestSystem();

    enum Polkit { WithPolkit, WithoutPolkit };
    // Starts bus and polkitd; false (with why in error()) when something is missing.
    bool startBus(Polkit polkit = WithPolkit);
    // HAMLET_TEST_LIBVIRT=system: the helper uses a libvirtd (system mode, QEMU as libvirt-qemu)
    // that startHelper() starts on private paths (SystemLibvirt), instead of the embedded driver.
    static bool wantsSystemLibvirt();
    SystemLibvirt *systemLibvirt() const { return m_libvirt.get(); }
    // Starts the helper on the private bus and waits until it owns its name.
    bool startHelper(const QStringList &extraArguments = {});
    // Before startBus: the bus starts the helper itself on the first call to dev.hamlet.Helper1
    // (D-Bus activation, as on a desktop), with the harness's directories and these arguments.
    void enableActivation(const QStringList &helperArguments)
    {
        m_activation = true;
        m_activationArguments = helperArguments;
    }
    // Whoever owns dev.hamlet.Helper1 on the bus now, however it was started; 0: nobody.
    qint64 helperOwnerPid() const;
    QString activatedHelperLog() const;
    void stopHelper(int signal = 15);
    bool helperRunning() const;
    qint64 helperPid() const;

    QString busAddress() const { return m_busAddress; }
    QString stateDir() const { return m_dir.path() + QStringLiteral("/state"); }
    QString runDir() const { return m_dir.path() + QStringLiteral("/run"); }
    // The helper's subuid and subgid (a private copy of /etc's, made by the constructor).
    QString subidDir() const { return m_dir.path() + QStringLiteral("/subid"); }
    QString helperLog() const;
    // The helper's network: a bridge of this test system's own (no two test systems, nor a
    // developer's helper, share one) with its /24 from a test pool, and its CNI network name.
    QString networkBridge() const;
    QString cniNetworkName() const { return QStringLiteral("hamlet-") + networkBridge(); }
    QString networkSubnet() const; // "10.199.N.0/24" once the helper chose it
    QString error() const { return m_error; }

    // Runs a program to completion as the given user ("" = root) with HAMLET_BUS_ADDRESS set.
    Run run(const QString &user, const QString &program, const QStringList &arguments, int timeoutMs = 30000) const;
    // Starts a program as the given user without waiting.
    std::unique_ptr<QProcess> spawn(const QString &user, const QString &program, const QStringList &arguments) const;

    // Paths of the build's programs.
    static QString helperProgram();
    static QString ctlProgram();
    static QString callerProgram();
    static QString watcherProgram();
    static QString sourceDir();

private:
    bool ensureUsers();
    void removeLeftovers();
    void removeNetworkLeftovers();
    bool installPolkitFiles();
    QString writeActivationFiles();
    QStringList helperArguments() const;
    // Starts the system libvirtd when HAMLET_TEST_LIBVIRT=system asks for it (once).
    bool ensureSystemLibvirt();
    std::unique_ptr<QProcess> startDaemon(const QString &program, const QStringList &arguments,
                                          const QStringList &environment, const QString &logName);

    QTemporaryDir m_dir;
    QString m_busAddress;
    QString m_error;
    std::unique_ptr<QProcess> m_bus;
    std::unique_ptr<QProcess> m_polkit;
    std::unique_ptr<QProcess> m_monitor;
    std::unique_ptr<QProcess> m_helper;
    bool m_activation = false;
    QStringList m_activationArguments;
    std::unique_ptr<SystemLibvirt> m_libvirt;
};

} // namespace Hamlet::Test
