#include "firstoutputwatch.h"

#include "imageinitramfs.h"
#include "instanceregistry.h"
#include "logging.h"

#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>

#include <ctime>

namespace Hamlet {

namespace {
// A program that prints nothing for this long is not waited for: its first line is unknown.
constexpr qint64 GiveUpMs = 300'000;

double wallMs()
{
    timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}
} // namespace

FirstOutputWatch::FirstOutputWatch(QString stateDir, InstanceRegistry &registry, QObject *parent)
    : QObject(parent)
    , m_stateDir(std::move(stateDir))
    , m_registry(registry)
    , m_files(new QFileSystemWatcher(this))
{
    connect(m_files, &QFileSystemWatcher::fileChanged, this, &FirstOutputWatch::check);
    connect(m_files, &QFileSystemWatcher::directoryChanged, this, &FirstOutputWatch::check);
    for (InstanceBackend *backend : m_registry.backends()) {
        connect(backend, &InstanceBackend::startBegins, this,
                [this](const QString &name, bool creating, const QString &file, const QString &why) {
                    Watch watch;
                    watch.from = creating ? QStringLiteral("create") : QStringLiteral("start");
                    watch.clock.start();
                    watch.beganAtMs = wallMs();
                    watch.path = file;
                    watch.unknown = why;
                    if (!file.isEmpty()) {
                        watch.offset = QFileInfo(file).size(); // 0 when it does not exist yet
                        watch.afterMarker = file.endsWith(QStringLiteral(".console.log"));
                        watchPaths(file);
                    }
                    m_watches.insert(name, watch);
                });
        connect(backend, &InstanceBackend::stateChanged, this,
                [this](const QString &name, const QString &state) { stateChanged(name, state); });
    }
    connect(&m_registry, &InstanceRegistry::removed, this, [this](const QString &name) { m_watches.remove(name); });
}

QVariantMap FirstOutputWatch::facts(const QString &name) const
{
    const auto it = m_watches.constFind(name);
    if (it == m_watches.cend())
        return {{QStringLiteral("firstOutputUnknown"),
                 QStringLiteral("not timed: it was started before the helper last started (the helper times the "
                                "starts it makes)")}};
    if (it->ms)
        return {{QStringLiteral("firstOutputMs"), *it->ms},
                {QStringLiteral("firstOutputFrom"), it->from},
                {QStringLiteral("firstOutputBeganAtMs"), it->beganAtMs},
                {QStringLiteral("firstOutputAtMs"), it->beganAtMs + *it->ms}};
    if (!it->unknown.isEmpty())
        return {{QStringLiteral("firstOutputUnknown"), it->unknown}};
    return {{QStringLiteral("firstOutputUnknown"),
             QStringLiteral("not yet: the program has printed no line since its %1").arg(it->from)}};
}

void FirstOutputWatch::stateChanged(const QString &name, const QString &state)
{
    const auto it = m_watches.find(name);
    if (it == m_watches.end() || it->ms || !it->unknown.isEmpty())
        return;
    if (state == QLatin1String("running") || state == QLatin1String("creating"))
        return;
    checkOne(*it); // a last look: the line may have come with the end
    if (!it->ms && it->unknown.isEmpty())
        it->unknown = QStringLiteral("the program printed no line before it ended (%1)").arg(state);
}

bool FirstOutputWatch::anyPending() const
{
    for (const Watch &watch : m_watches)
        if (!watch.path.isEmpty() && !watch.ms && watch.unknown.isEmpty())
            return true;
    return false;
}

void FirstOutputWatch::watchPaths(const QString &file)
{
    // Only what exists: before a first VM or container, not even the directory of its output
    // file does (STATE/vms/image-vms, STATE/containers/NAME), so the nearest level that exists is
    // watched, and each deeper one is added as it appears. No polling: a program that prints
    // nothing costs no wakeups (tst_idle counts them).
    QStringList levels {file};
    for (QString dir = QFileInfo(file).absolutePath(); dir.size() > 1; dir = QFileInfo(dir).absolutePath()) {
        levels.prepend(dir);
        if (QFileInfo(dir).isDir())
            break; // the nearest existing ancestor
    }
    for (const QString &path : std::as_const(levels))
        if (!m_files->files().contains(path) && !m_files->directories().contains(path) && QFile::exists(path)) {
            Log::helper()->debug("watching {} for a first line", path.toStdString());
            m_files->addPath(path);
        }
}

void FirstOutputWatch::check()
{
    for (auto it = m_watches.begin(); it != m_watches.end(); ++it) {
        if (it->path.isEmpty() || it->ms || !it->unknown.isEmpty())
            continue;
        watchPaths(it->path); // before reading: a write after this read is an event of its own
        checkOne(*it);
    }
    if (!anyPending()) {
        const QStringList watched = m_files->files() + m_files->directories();
        if (!watched.isEmpty())
            m_files->removePaths(watched);
    }
}

bool FirstOutputWatch::checkOne(Watch &watch)
{
    const double elapsed = static_cast<double>(watch.clock.nsecsElapsed()) / 1e6;
    QFile file(watch.path);
    if (file.open(QIODevice::ReadOnly) && file.size() < watch.offset)
        watch.offset = 0; // cut short meanwhile (a log over its size limit keeps only its end)
    if (file.isOpen() && file.size() > watch.offset) {
        file.seek(watch.offset);
        const QByteArray bytes = file.read(256 * 1024);
        qsizetype from = 0;
        if (watch.afterMarker) {
            const qsizetype marker = bytes.indexOf(Vms::ImageInitramfs::ProgramMarker.toUtf8());
            from = marker < 0 ? -1 : bytes.indexOf('\n', marker);
            from = from < 0 ? -1 : from + 1;
        }
        // The first complete line, not the init's own ("hamlet-init: failed: ..." is not output).
        while (from >= 0) {
            const qsizetype end = bytes.indexOf('\n', from);
            if (end < 0)
                break;
            if (!bytes.mid(from, end - from).startsWith("hamlet-init:")) {
                watch.ms = elapsed;
                Log::helper()->debug("first line of output in {} after {:.1f} ms", watch.path.toStdString(), elapsed);
                return true;
            }
            from = end + 1;
        }
    }
    if (elapsed > GiveUpMs) {
        watch.unknown = QStringLiteral("no line within %1 s of its %2").arg(GiveUpMs / 1000).arg(watch.from);
        return true;
    }
    return false;
}

} // namespace Hamlet
