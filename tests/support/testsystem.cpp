#include "testsystem.h"

#include "systemlibvirt.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QThread>

#include <csignal>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace Hamlet::Test {

namespace {

const QString PolkitActionDir = QStringLiteral("/usr/share/polkit-1/actions");
const QString PolkitRulesFile = QStringLiteral("/etc/polkit-1/rules.d/50-hamlet-test.rules");
const QString PolkitNetworkRulesFile = QStringLiteral("/etc/polkit-1/rules.d/48-hamlet-test-network.rules");
// Read before the network file (polkitd orders rules by file name), whose yes would come first.
const QString PolkitUsernsRulesFile = QStringLiteral("/etc/polkit-1/rules.d/47-hamlet-test-userns.rules");
const QString PolkitOwnersRulesFile = QStringLiteral("/etc/polkit-1/rules.d/49-hamlet-test-owners.rules");

// Children die with the test process, even when it crashes.
void dieWithParent(QProcess &process)
{
    process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
}

QString busConfig(const QString &socketPath, const QString &activation)
{
    QFile templateFile(TestSystem::sourceDir() + QStringLiteral("/tests/support/system-bus.conf.in"));
    if (!templateFile.open(QIODevice::ReadOnly))
        return {};
    QString config = QString::fromUtf8(templateFile.readAll());
    config.replace(QStringLiteral("@SOCKET@"), socketPath);
    config.replace(QStringLiteral("@POLICY@"),
                   TestSystem::sourceDir() + QStringLiteral("/resources/dbus/dev.hamlet.Helper1.conf"));
    config.replace(QStringLiteral("@ACTIVATION@"), activation);
    return config;
}

bool copyIfDifferent(const QString &from, const QString &to)
{
    QFile source(from);
    QFile target(to);
    if (!source.open(QIODevice::ReadOnly))
        return false;
    const QByteArray content = source.readAll();
    if (target.open(QIODevice::ReadOnly) && target.readAll() == content)
        return true;
    target.close();
    QDir().mkpath(QFileInfo(to).path());
    return target.open(QIODevice::WriteOnly | QIODevice::Truncate) && target.write(content) == content.size();
}

bool waitForFile(const QString &path, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!QFile::exists(path)) {
        if (deadline.hasExpired())
            return false;
        QThread::msleep(20);
    }
    return true;
}

} // namespace

TestSystem::TestSystem()
{
    m_dir.setAutoRemove(qEnvironmentVariableIsEmpty("HAMLET_TEST_KEEP"));
    // The bus socket must be reachable by polkitd (which drops to its own user) and test users.
    QFile::setPermissions(m_dir.path(),
                          QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup
                              | QFile::ReadOther | QFile::ExeOther);
    // The helper's id range for user namespaces is reserved in a private copy of the host's
    // subuid/subgid (so it lies above the host's entries too), never in /etc: helpers of tests
    // running in parallel each own their ranges, and the machine's files stay as they are.
    QDir().mkpath(subidDir());
    for (const QString &file : {QStringLiteral("subuid"), QStringLiteral("subgid")}) {
        QFile::copy(QStringLiteral("/etc/") + file, subidDir() + QLatin1Char('/') + file);
        QFile(subidDir() + QLatin1Char('/') + file).open(QIODevice::Append); // exists even without /etc's
    }
}

TestSystem::~TestSystem()
{
    stopHelper(SIGTERM);
    if (m_libvirt)
        m_libvirt->stop();
    removeLeftovers();
    removeNetworkLeftovers();
    for (auto *process : {m_monitor.get(), m_polkit.get(), m_bus.get()}) {
        if (process && process->state() != QProcess::NotRunning) {
            process->terminate();
            if (!process->waitForFinished(3000)) {
                process->kill();
                process->waitForFinished(3000);
            }
        }
    }
}

void TestSystem::removeLeftovers()
{
    // A test that failed half-way may leave containers, VMs or QEMU probes of its helper behind:
    // everything that still names this test's directory goes, so the next test starts clean.
    const QString runc = runDir() + QStringLiteral("/runc");
    if (QFile::exists(runc)) {
        QProcess list;
        list.start(QStringLiteral("runc"),
                   {QStringLiteral("--root"), runc, QStringLiteral("list"), QStringLiteral("-q")});
        list.waitForFinished(10000);
        for (const QByteArray &id : list.readAllStandardOutput().split('\n')) {
            if (!id.isEmpty())
                QProcess::execute(QStringLiteral("runc"),
                                  {QStringLiteral("--root"), runc, QStringLiteral("delete"), QStringLiteral("--force"),
                                   QString::fromUtf8(id)});
        }
    }
    const QByteArray mine = QFile::encodeName(m_dir.path());
    for (const QString &entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        bool numeric = false;
        const qint64 pid = entry.toLongLong(&numeric);
        if (!numeric || pid == ::getpid())
            continue;
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (cmdline.open(QIODevice::ReadOnly) && cmdline.readAll().contains(mine))
            ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
    QFile mounts(QStringLiteral("/proc/self/mountinfo"));
    if (mounts.open(QIODevice::ReadOnly)) {
        for (const QByteArray &line : mounts.readAll().split('\n')) {
            const QByteArray point = line.split(' ').value(4);
            if (point.startsWith(mine))
                QProcess::execute(QStringLiteral("umount"), {QStringLiteral("-l"), QString::fromUtf8(point)});
        }
    }
}

QString TestSystem::helperProgram()
{
    return QStringLiteral(HAMLET_HELPER_PROGRAM);
}
QString TestSystem::ctlProgram()
{
    return QStringLiteral(HAMLET_CTL_PROGRAM);
}
QString TestSystem::callerProgram()
{
    return QStringLiteral(HAMLET_CALLER_PROGRAM);
}
QString TestSystem::watcherProgram()
{
    return QStringLiteral(HAMLET_WATCHER_PROGRAM);
}
QString TestSystem::sourceDir()
{
    return QStringLiteral(HAMLET_SOURCE_DIR);
}

bool TestSystem::ensureUsers()
{
    for (const QString &user : {AllowedUser, DeniedUser, SlowUser, PlainUser, OtherUser}) {
        if (::getpwnam(user.toLocal8Bit().constData()))
            continue;
        const int code = QProcess::execute(QStringLiteral("useradd"),
                                           {QStringLiteral("--system"), QStringLiteral("--no-create-home"),
                                            QStringLiteral("--shell"), QStringLiteral("/usr/sbin/nologin"), user});
        if (code != 0) {
            m_error = QStringLiteral("useradd %1 failed (the tests must run as root)").arg(user);
            return false;
        }
    }
    return true;
}

bool TestSystem::installPolkitFiles()
{
    // polkitd reads actions only from /usr/share/polkit-1/actions and rules from fixed dirs.
    // The actions also go in under a name only this checkout uses: while branches differ, another
    // branch's test run rewrites dev.hamlet.policy (and any file name they share), and this
    // checkout's actions (manage-others, exec) must not vanish under a running test. Identical
    // definitions in two files are harmless.
    const QString checkout = QString::fromLatin1(
        QCryptographicHash::hash(sourceDir().toUtf8(), QCryptographicHash::Sha1).toHex().left(12));
    if (!copyIfDifferent(sourceDir() + QStringLiteral("/resources/polkit/dev.hamlet.policy"),
                         PolkitActionDir + QStringLiteral("/dev.hamlet.policy"))
        || !copyIfDifferent(sourceDir() + QStringLiteral("/resources/polkit/dev.hamlet.policy"),
                            PolkitActionDir + QStringLiteral("/dev.hamlet.test-harness-%1.policy").arg(checkout))
        || !copyIfDifferent(sourceDir() + QStringLiteral("/tests/support/hamlet-test.rules"), PolkitRulesFile)
        || !copyIfDifferent(sourceDir() + QStringLiteral("/tests/support/hamlet-test-network.rules"),
                            PolkitNetworkRulesFile)
        || !copyIfDifferent(sourceDir() + QStringLiteral("/tests/support/hamlet-test-userns.rules"),
                            PolkitUsernsRulesFile)
        || !copyIfDifferent(sourceDir() + QStringLiteral("/tests/support/hamlet-test-owners.rules"),
                            PolkitOwnersRulesFile)) {
        m_error = QStringLiteral("cannot install the polkit action and test rules (run the tests as root)");
        return false;
    }
    return true;
}

std::unique_ptr<QProcess> TestSystem::startDaemon(const QString &program, const QStringList &arguments,
                                                  const QStringList &environment, const QString &logName)
{
    auto process = std::make_unique<QProcess>();
    dieWithParent(*process);
    process->setProgram(program);
    process->setArguments(arguments);
    QStringList env = QProcess::systemEnvironment();
    env << environment;
    process->setEnvironment(env);
    process->setProcessChannelMode(QProcess::MergedChannels);
    process->setStandardOutputFile(m_dir.path() + QLatin1Char('/') + logName, QIODevice::Append);
    process->start();
    if (!process->waitForStarted(5000)) {
        m_error = QStringLiteral("cannot start %1: %2").arg(program, process->errorString());
        return nullptr;
    }
    return process;
}

bool TestSystem::startBus(Polkit polkit)
{
    if (!m_dir.isValid() || !ensureUsers() || !installPolkitFiles())
        return false;
    const QString socket = m_dir.path() + QStringLiteral("/system_bus_socket");
    const QString configPath = m_dir.path() + QStringLiteral("/system-bus.conf");
    m_busAddress = QStringLiteral("unix:path=") + socket;
    if (m_activation && !ensureSystemLibvirt())
        return false;
    const QString activation = m_activation ? writeActivationFiles() : QString();
    QFile config(configPath);
    if ((m_activation && activation.isEmpty()) || !config.open(QIODevice::WriteOnly)
        || config.write(busConfig(socket, activation).toUtf8()) <= 0) {
        m_error = QStringLiteral("cannot write the test bus configuration");
        return false;
    }
    config.close();
    m_bus = startDaemon(
        QStringLiteral("dbus-daemon"),
        {QStringLiteral("--config-file=") + configPath, QStringLiteral("--nofork"), QStringLiteral("--nopidfile")}, {},
        QStringLiteral("dbus.log"));
    if (!m_bus || !waitForFile(socket, 5000)) {
        m_error = QStringLiteral("dbus-daemon did not start: ") + m_error;
        return false;
    }
    // HAMLET_TEST_MONITOR=1 records every message on the test bus in monitor.log.
    if (!qEnvironmentVariableIsEmpty("HAMLET_TEST_MONITOR"))
        m_monitor = startDaemon(QStringLiteral("dbus-monitor"), {QStringLiteral("--address"), m_busAddress}, {},
                                QStringLiteral("monitor.log"));
    if (polkit == WithoutPolkit)
        return true;
    m_polkit = startDaemon(QStringLiteral("/usr/lib/polkit-1/polkitd"), {QStringLiteral("--no-debug")},
                           {QStringLiteral("DBUS_SYSTEM_BUS_ADDRESS=") + m_busAddress}, QStringLiteral("polkitd.log"));
    if (!m_polkit)
        return false;
    // polkitd is ready once it owns its name.
    QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired()) {
        const Run owner = run({}, QStringLiteral("dbus-send"),
                              {QStringLiteral("--bus=") + m_busAddress, QStringLiteral("--print-reply"),
                               QStringLiteral("--dest=org.freedesktop.DBus"), QStringLiteral("/org/freedesktop/DBus"),
                               QStringLiteral("org.freedesktop.DBus.NameHasOwner"),
                               QStringLiteral("string:org.freedesktop.PolicyKit1")});
        if (owner.out.contains("boolean true"))
            return true;
        QThread::msleep(100);
    }
    m_error = QStringLiteral("polkitd did not take its bus name; see %1/polkitd.log").arg(m_dir.path());
    return false;
}

QStringList TestSystem::helperArguments() const
{
    QStringList arguments {QStringLiteral("--bus"),     m_busAddress, QStringLiteral("--state-dir"), stateDir(),
                           QStringLiteral("--run-dir"), runDir(),     QStringLiteral("--verbose")};
    // The KVM verdict holds for the whole boot: share it between test runs.
    arguments << QStringLiteral("--probe-cache") << QStringLiteral(HAMLET_BINARY_DIR "/kvm-probe");
    if (m_libvirt)
        arguments << QStringLiteral("--libvirt-uri") << m_libvirt->uri();
    arguments << QStringLiteral("--network-bridge") << networkBridge() << QStringLiteral("--network-pool")
              << QStringLiteral("10.199.0.0/16");
    arguments << QStringLiteral("--subid-dir") << subidDir();
    return arguments;
}

bool TestSystem::ensureSystemLibvirt()
{
    if (!wantsSystemLibvirt() || m_libvirt)
        return true;
    m_libvirt = std::make_unique<SystemLibvirt>(m_dir.path() + QStringLiteral("/libvirt-system"),
                                                QStringLiteral(HAMLET_BINARY_DIR "/libvirt-system-cache"));
    if (!m_libvirt->start()) {
        m_error = m_libvirt->error();
        return false;
    }
    return true;
}

bool TestSystem::startHelper(const QStringList &extraArguments)
{
    stopHelper(SIGTERM);
    if (!ensureSystemLibvirt())
        return false;
    QStringList arguments = helperArguments() + extraArguments;
    // HAMLET_TEST_HELPER_WRAPPER="valgrind --log-file=/tmp/vg.%p" runs the helper under a tool.
    QString program = helperProgram();
    if (const QString wrapper = qEnvironmentVariable("HAMLET_TEST_HELPER_WRAPPER"); !wrapper.isEmpty()) {
        QStringList words = wrapper.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        arguments.prepend(program);
        program = words.takeFirst();
        arguments = words + arguments;
    }
    m_helper = startDaemon(program, arguments, {}, QStringLiteral("helper.log"));
    if (!m_helper)
        return false;
    QDeadlineTimer deadline(30000);
    while (!deadline.hasExpired() && m_helper->state() == QProcess::Running) {
        const Run owner
            = run({}, QStringLiteral("dbus-send"),
                  {QStringLiteral("--bus=") + m_busAddress, QStringLiteral("--print-reply"),
                   QStringLiteral("--dest=org.freedesktop.DBus"), QStringLiteral("/org/freedesktop/DBus"),
                   QStringLiteral("org.freedesktop.DBus.NameHasOwner"), QStringLiteral("string:dev.hamlet.Helper1")});
        if (owner.out.contains("boolean true"))
            return true;
        QThread::msleep(50);
    }
    m_error = QStringLiteral("hamlet-helper did not take its name:\n") + helperLog();
    return false;
}

void TestSystem::stopHelper(int signal)
{
    if (m_activation) {
        // Started by the bus, not by us: found by its name, waited for by its pid.
        if (const qint64 pid = helperOwnerPid(); pid > 0) {
            ::kill(static_cast<pid_t>(pid), signal);
            QDeadlineTimer deadline(10000);
            while (::kill(static_cast<pid_t>(pid), 0) == 0 && !deadline.hasExpired())
                QThread::msleep(20);
            ::kill(static_cast<pid_t>(pid), SIGKILL);
        }
    }
    if (!m_helper || m_helper->state() == QProcess::NotRunning)
        return;
    ::kill(static_cast<pid_t>(m_helper->processId()), signal);
    if (!m_helper->waitForFinished(10000)) {
        m_helper->kill();
        m_helper->waitForFinished(3000);
    }
}

QString TestSystem::writeActivationFiles()
{
    const QStringList arguments = helperArguments() + m_activationArguments;
    QString command = helperProgram();
    for (const QString &argument : arguments)
        command += QStringLiteral(" '") + argument + QLatin1Char('\'');
    // dbus-daemon runs the <servicehelper> with the name to start; this one starts only ours.
    const QString launcher = m_dir.path() + QStringLiteral("/activate-helper");
    const QString serviceDir = m_dir.path() + QStringLiteral("/system-services");
    QFile script(launcher);
    QFile service(serviceDir + QStringLiteral("/dev.hamlet.Helper1.service"));
    if (!QDir().mkpath(serviceDir) || !script.open(QIODevice::WriteOnly) || !service.open(QIODevice::WriteOnly))
        return {};
    script.write(QStringLiteral("#!/bin/sh\n[ \"$1\" = dev.hamlet.Helper1 ] || exit 1\nexec %1 >>'%2' 2>&1\n")
                     .arg(command, m_dir.path() + QStringLiteral("/activated-helper.log"))
                     .toUtf8());
    script.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    service.write("[D-BUS Service]\nName=dev.hamlet.Helper1\nExec=/bin/false\nUser=root\n");
    return QStringLiteral("<servicedir>%1</servicedir><servicehelper>%2</servicehelper>").arg(serviceDir, launcher);
}

qint64 TestSystem::helperOwnerPid() const
{
    const Run owner = run({}, QStringLiteral("dbus-send"),
                          {QStringLiteral("--bus=") + m_busAddress, QStringLiteral("--print-reply"),
                           QStringLiteral("--dest=org.freedesktop.DBus"), QStringLiteral("/org/freedesktop/DBus"),
                           QStringLiteral("org.freedesktop.DBus.GetConnectionUnixProcessID"),
                           QStringLiteral("string:dev.hamlet.Helper1")});
    const qsizetype at = owner.out.indexOf("uint32 ");
    return at < 0 ? 0 : owner.out.mid(at + 7).trimmed().toLongLong();
}

QString TestSystem::activatedHelperLog() const
{
    QFile log(m_dir.path() + QStringLiteral("/activated-helper.log"));
    return log.open(QIODevice::ReadOnly) ? QString::fromUtf8(log.readAll()) : QString();
}

bool TestSystem::wantsSystemLibvirt()
{
    return qEnvironmentVariable("HAMLET_TEST_LIBVIRT") == QStringLiteral("system");
}

bool TestSystem::helperRunning() const
{
    return m_helper && m_helper->state() == QProcess::Running;
}

qint64 TestSystem::helperPid() const
{
    return helperRunning() ? m_helper->processId() : 0;
}

QString TestSystem::helperLog() const
{
    QFile log(m_dir.path() + QStringLiteral("/helper.log"));
    return log.open(QIODevice::ReadOnly) ? QString::fromUtf8(log.readAll()) : QString();
}

std::unique_ptr<QProcess> TestSystem::spawn(const QString &user, const QString &program,
                                            const QStringList &arguments) const
{
    auto process = std::make_unique<QProcess>();
    dieWithParent(*process);
    QStringList env = QProcess::systemEnvironment();
    env << QStringLiteral("HAMLET_BUS_ADDRESS=") + m_busAddress;
    process->setEnvironment(env);
    if (user.isEmpty()) {
        process->start(program, arguments);
    } else {
        const passwd *account = ::getpwnam(user.toLocal8Bit().constData());
        const QString group = account ? QString::number(account->pw_gid) : user;
        QStringList wrapped {QStringLiteral("--reuid=") + user, QStringLiteral("--regid=") + group,
                             QStringLiteral("--clear-groups"), QStringLiteral("--"), program};
        process->start(QStringLiteral("setpriv"), wrapped + arguments);
    }
    process->waitForStarted(5000);
    return process;
}

Run TestSystem::run(const QString &user, const QString &program, const QStringList &arguments, int timeoutMs) const
{
    const auto process = spawn(user, program, arguments);
    Run result;
    result.finished = process->waitForFinished(timeoutMs);
    if (!result.finished)
        process->kill();
    process->waitForFinished(1000);
    result.exitCode = process->exitCode();
    result.out = process->readAllStandardOutput();
    result.err = process->readAllStandardError();
    return result;
}

} // namespace Hamlet::Test
