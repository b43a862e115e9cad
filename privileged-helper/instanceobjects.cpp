#include "instanceobjects.h"

#include "comparefacts.h"
#include "dbusnames.h"
#include "errors.h"
#include "firstoutputwatch.h"
#include "viewer.h"

#include <QDBusArgument>
#include <QDBusMetaType>

namespace Hamlet {

namespace {
const QString MonitorAction = QStringLiteral("dev.hamlet.monitor");
const QString ControlAction = QStringLiteral("dev.hamlet.control");
const QString DeleteAction = QStringLiteral("dev.hamlet.delete");
// A shell in an instance reaches all its data and processes: more than control.
const QString ExecAction = QStringLiteral("dev.hamlet.exec");

QDBusMessage errorReply(const QDBusMessage &call, const ErrorReply &error)
{
    return call.createErrorReply(error.name, error.message);
}

QVariantMap mapArgument(const QVariant &argument)
{
    if (argument.canConvert<QDBusArgument>())
        return qdbus_cast<QVariantMap>(argument.value<QDBusArgument>());
    return argument.toMap();
}
} // namespace

InstanceObjects::InstanceObjects(QDBusConnection bus, CallGate &gate, InstanceRegistry &registry, QObject *parent)
    : ObjectTree(std::move(bus), gate, Bus::InstancePathPrefix.chopped(1), Bus::InstanceInterface, parent)
    , m_registry(registry)
{ }

QStringList InstanceObjects::children() const
{
    QStringList names;
    for (const InstanceSummary &summary : m_registry.summaries())
        names << summary.path.path().section(QLatin1Char('/'), -1);
    return names;
}

bool InstanceObjects::exists(const QString &path) const
{
    return m_registry.contains(Bus::instanceNameFromPath(path));
}

QVariantMap InstanceObjects::properties(const QString &path) const
{
    const InstanceInfo *info = m_registry.find(Bus::instanceNameFromPath(path));
    return info ? withAddresses(instanceProperties(*info, Viewer {}), *info) : QVariantMap(); // as a stranger sees them
}

QVariantMap InstanceObjects::withAddresses(QVariantMap properties, const InstanceInfo &info) const
{
    // Addresses come and go with starts and stops: asked of the backend at each read.
    const InstanceBackend *backend = m_registry.backendFor(info.kind);
    const std::optional<InstanceInfo> live = backend ? backend->find(info.name) : std::nullopt;
    properties.insert(QStringLiteral("Addresses"), live ? live->addresses : QStringList());
    return properties;
}

QCoro::Task<QVariantMap> InstanceObjects::propertiesFor(QString path, QDBusMessage call)
{
    const QString name = Bus::instanceNameFromPath(path);
    const InstanceInfo *info = m_registry.find(name);
    if (!info)
        co_return QVariantMap();
    const uint owner = ownerOf(*info);
    const uint uid = co_await connectionUid(m_bus, call.service()); // named: GCC 12 and braced lists
    Viewer viewer {call.service(), uid, false};
    if (!actsAsOwner(viewer.uid, owner)) // only then is polkit asked (without a prompt)
        viewer = co_await viewerOf(m_bus, m_gate.authorizer(), call.service());
    info = m_registry.find(name); // the registry may have changed while polkit was asked
    co_return info ? withAddresses(instanceProperties(*info, viewer), *info) : QVariantMap();
}

QString InstanceObjects::readAction(const QString &) const
{
    return MonitorAction;
}

QCoro::Task<QDBusMessage> InstanceObjects::reply(QDBusMessage call, QCoro::Task<Outcome> work)
{
    const Outcome outcome = co_await std::move(work);
    co_return outcome ? errorReply(call, *outcome) : call.createReply();
}

void InstanceObjects::serveVerb(const QDBusMessage &message, const QString &action, Verb verb)
{
    const QString name = Bus::instanceNameFromPath(message.path());
    std::optional<uint> owner;
    if (const InstanceInfo *info = m_registry.find(name); info && action != MonitorAction)
        owner = ownerOf(*info);
    m_gate.serve(message, {action, message.member(), name, owner},
                 [this, name, verb = std::move(verb)](const QDBusMessage &call) -> QCoro::Task<QDBusMessage> {
                     InstanceBackend *backend = m_registry.backendOf(name);
                     if (!backend)
                         co_return call.createErrorReply(Error::NotFound,
                                                         QStringLiteral("There is no instance named '%1'.").arg(name));
                     co_return co_await verb(backend, name, call);
                 });
}

void InstanceObjects::call(const QDBusMessage &message)
{
    static const QHash<QString, QString> signatures {
        {QStringLiteral("Start"), {}},
        {QStringLiteral("Stop"), QStringLiteral("b")},
        {QStringLiteral("Pause"), {}},
        {QStringLiteral("Resume"), {}},
        {QStringLiteral("Restart"), {}},
        {QStringLiteral("Delete"), {}},
        {QStringLiteral("SetLimits"), QStringLiteral("a{sv}")},
        {QStringLiteral("SetPorts"), QStringLiteral("aa{sv}")},
        {QStringLiteral("Inspect"), {}},
        {QStringLiteral("OpenConsole"), {}},
        {QStringLiteral("OpenDisplay"), {}},
        {QStringLiteral("Exec"), QStringLiteral("asa{sv}")},
    };
    const QString member = message.member();
    if (!signatures.contains(member)) {
        m_bus.send(message.createErrorReply(
            QDBusError::UnknownMethod, QStringLiteral("%1 has no method %2.").arg(Bus::InstanceInterface, member)));
        return;
    }
    if (!expectSignature(message, signatures.value(member)))
        return;

    if (member == QLatin1String("Start")) {
        serveVerb(message, ControlAction,
                  [](InstanceBackend *b, QString name, QDBusMessage call) { return reply(call, b->start(name)); });
    } else if (member == QLatin1String("Stop")) {
        serveVerb(message, ControlAction, [](InstanceBackend *b, QString name, QDBusMessage call) {
            return reply(call, b->stop(name, call.arguments().value(0).toBool()));
        });
    } else if (member == QLatin1String("Pause")) {
        serveVerb(message, ControlAction,
                  [](InstanceBackend *b, QString name, QDBusMessage call) { return reply(call, b->pause(name)); });
    } else if (member == QLatin1String("Resume")) {
        serveVerb(message, ControlAction,
                  [](InstanceBackend *b, QString name, QDBusMessage call) { return reply(call, b->resume(name)); });
    } else if (member == QLatin1String("Restart")) {
        serveVerb(message, ControlAction,
                  [](InstanceBackend *b, QString name, QDBusMessage call) -> QCoro::Task<QDBusMessage> {
                      if (const Outcome stopped = co_await b->stop(name, false))
                          co_return errorReply(call, *stopped);
                      auto starting = b->start(name); // named: GCC 12 destroys temporaries in co_await twice
                      co_return co_await reply(call, std::move(starting));
                  });
    } else if (member == QLatin1String("Delete")) {
        serveVerb(message, DeleteAction,
                  [this](InstanceBackend *b, QString name, QDBusMessage call) -> QCoro::Task<QDBusMessage> {
                      if (const Outcome failed = co_await b->remove(name))
                          co_return errorReply(call, *failed);
                      m_registry.remove(name);
                      co_return call.createReply();
                  });
    } else if (member == QLatin1String("SetLimits")) {
        serveVerb(message, ControlAction,
                  [this](InstanceBackend *b, QString name, QDBusMessage call) -> QCoro::Task<QDBusMessage> {
                      const QVariantMap limits = mapArgument(call.arguments().value(0));
                      const Expected<QString> note = co_await b->setLimits(name, limits);
                      if (!note.ok())
                          co_return errorReply(call, note.error());
                      if (const InstanceInfo *info = m_registry.find(name)) {
                          QVariantMap spec = info->spec;
                          for (auto it = limits.cbegin(); it != limits.cend(); ++it)
                              spec.insert(it.key(), it.value());
                          m_registry.updateSpec(name, spec);
                      }
                      co_return call.createReply(note.value());
                  });
    } else if (member == QLatin1String("SetPorts")) {
        serveVerb(message, ControlAction,
                  [this](InstanceBackend *b, QString name, QDBusMessage call) -> QCoro::Task<QDBusMessage> {
                      // Who asks, for the privileged ports' polkit check (the owner was checked).
                      const Caller caller {call.service(), 0, call.isInteractiveAuthorizationAllowed()};
                      const Outcome problem = co_await b->setPorts(name, call.arguments().value(0), caller);
                      if (problem)
                          co_return errorReply(call, *problem);
                      const std::optional<InstanceInfo> live = b->find(name);
                      if (const InstanceInfo *info = m_registry.find(name); info && live) {
                          QVariantMap spec = info->spec;
                          spec.insert(QStringLiteral("ports"), live->spec.value(QStringLiteral("ports")));
                          m_registry.updateSpec(name, spec);
                      }
                      co_return call.createReply();
                  });
    } else if (member == QLatin1String("Inspect")) {
        serveVerb(message, MonitorAction,
                  [this](InstanceBackend *b, QString name, QDBusMessage call) -> QCoro::Task<QDBusMessage> {
                      const Expected<QVariantMap> parts = co_await b->inspect(name);
                      if (!parts.ok())
                          co_return errorReply(call, parts.error());
                      QVariantMap all = parts.value();
                      if (m_firstOutput)
                          all.insert(QStringLiteral("measured"),
                                     CompareFacts::measured(b->kind(), all, m_firstOutput->facts(name), m_stateDir));
                      co_return call.createReply(all);
                  });
    } else if (member == QLatin1String("Exec")) {
        serveVerb(message, ExecAction, [this](InstanceBackend *b, QString name, QDBusMessage call) {
            return execute(b, std::move(name), std::move(call));
        });
    } else { // OpenConsole, OpenDisplay
        serveVerb(message, ControlAction,
                  [](InstanceBackend *b, QString name, QDBusMessage call) -> QCoro::Task<QDBusMessage> {
                      // (no co_await inside ?: — GCC 12 cannot compile that)
                      auto opening
                          = call.member() == QLatin1String("OpenConsole") ? b->openConsole(name) : b->openDisplay(name);
                      const Expected<QDBusUnixFileDescriptor> fd = co_await std::move(opening);
                      if (!fd.ok())
                          co_return errorReply(call, fd.error());
                      co_return call.createReply(QVariant::fromValue(fd.value()));
                  });
    }
}

QCoro::Task<QDBusMessage> InstanceObjects::execute(InstanceBackend *backend, QString name, QDBusMessage call)
{
    const QStringList argv = call.arguments().value(0).toStringList();
    const QVariantMap options = mapArgument(call.arguments().value(1));
    const Expected<ExecStarted> started = co_await backend->exec(name, argv, options);
    if (!started.ok())
        co_return errorReply(call, started.error());
    // The exit code goes to the caller alone (it may say what the command found), once.
    const uint id = started.value().id;
    const QString caller = call.service();
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(backend, &InstanceBackend::execExited, this,
                          [this, connection, caller, name, id](const QString &instance, uint ended, int exitCode) {
                              if (instance != name || ended != id)
                                  return;
                              disconnect(*connection);
                              QDBusMessage signal = QDBusMessage::createTargetedSignal(caller, Bus::instancePath(name),
                                                                                       Bus::InstanceInterface,
                                                                                       QStringLiteral("ExecExited"));
                              signal << id << exitCode;
                              m_bus.send(signal);
                          });
    co_return call.createReply(QVariantList {QVariant::fromValue(started.value().terminal), id});
}

} // namespace Hamlet
