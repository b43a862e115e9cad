#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QString>
#include <QVariantMap>

class QFileSystemWatcher;

namespace Hamlet {

class InstanceRegistry;

// Times each start of an instance to the first line of its program's output: the one source of
// "start to first output" that Compare shows (Inspect's measured part). The clock starts when a
// backend announces startBegins (create or Start, before the runtime or libvirt is asked) and
// stops when a complete line is first seen in the instance's output file: a container's log
// (STATE/containers/NAME/container.log, appended to: only bytes past its size at the start
// count), or an image VM's serial console log (STATE/vms/image-vms/NAME.console.log), past the
// init's "program starts" marker, so the kernel's and the init's own lines do not count. The
// file (and, until it exists, its directories) is watched with inotify, never polled: a silent
// program costs the helper no wakeups. What cannot be timed (a tty container writes no log, a tiny VM keeps
// no console log, a start the helper did not see) is given with the reason instead.
class FirstOutputWatch : public QObject
{
    Q_OBJECT
public:
    FirstOutputWatch(QString stateDir, InstanceRegistry &registry, QObject *parent = nullptr);

    // Keys for Inspect's measured part: firstOutputMs (d), firstOutputFrom (s: "create" or
    // "start"), firstOutputBeganAtMs and firstOutputAtMs (d, wall clock, ms since the epoch: so a
    // test can check both ends against its own clock and the file's mtime), or firstOutputUnknown
    // (s: why not).
    QVariantMap facts(const QString &name) const;

private:
    struct Watch {
        QString path;
        qint64 offset = 0; // bytes of the file before this start
        bool afterMarker = false; // VM: the program's lines follow the init's marker
        bool markerSeen = false;
        QString from;
        QElapsedTimer clock;
        double beganAtMs = 0; // wall clock (ms since the epoch, fractional) when the clock started
        std::optional<double> ms;
        QString unknown;
    };
    void begin(const QString &name, bool creating);
    void stateChanged(const QString &name, const QString &state);
    void watchPaths(const QString &file);
    void check();
    bool checkOne(Watch &watch);
    bool anyPending() const;

    QString m_stateDir;
    InstanceRegistry &m_registry;
    QHash<QString, Watch> m_watches;
    QFileSystemWatcher *m_files;
};

} // namespace Hamlet
