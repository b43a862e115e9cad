#include "inspectformatter.h"

#include "dbustypes.h"
#include "formatting.h"
#include "namespacefacts.h"

#include <QCoreApplication>
#include <bit>

namespace Hamlet {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("InspectFormatter", text);
}

// A row whose value is several lines, each escaped.
QString rowOfLines(const QString &label, const QStringList &lines)
{
    QStringList escaped;
    for (const QString &line : lines)
        escaped << line.toHtmlEscaped();
    return QStringLiteral("<tr><td style='padding-right:12px'><b>%1</b></td><td>%2</td></tr>")
        .arg(label.toHtmlEscaped(), escaped.join(QStringLiteral("<br>")));
}

// Three rows at most: the namespaces of its own, each one shared with the host with what that
// means, and each one the helper could not verify with its reason, a line each. Nothing
// unverified reads as own.
QString namespacesRows(const QVariantMap &namespaces, const QVariantMap &idMap)
{
    using namespace NamespaceFacts;
    QStringList own;
    QStringList shared;
    QStringList unknown;
    for (auto it = namespaces.cbegin(); it != namespaces.cend(); ++it) {
        const QVariantMap verdict = InspectFormatter::plain(it.value()).toMap();
        switch (stateOf(verdict)) {
        case State::Isolated:
            own << it.key();
            break;
        case State::Shared:
            shared << tr("%1 — %2").arg(it.key(), sharedMeans(it.key()));
            break;
        case State::Unknown:
            unknown << tr("%1 — %2").arg(it.key(), reasonOf(verdict));
            break;
        }
    }
    QString html;
    if (!own.isEmpty())
        html += InspectFormatter::row(tr("Namespaces of its own"), own.join(QStringLiteral(", ")));
    // "user: isolated" is the line that says root here is not root there: with the map.
    if (own.contains(QStringLiteral("user")) && !idMapMeans(idMap).isEmpty())
        html += InspectFormatter::row(tr("User"), tr("isolated — %1").arg(idMapMeans(idMap)));
    if (!shared.isEmpty())
        html += rowOfLines(tr("Shared with the host"), shared);
    if (!unknown.isEmpty())
        html += rowOfLines(tr("Namespaces not verified"), unknown);
    return html;
}

// "14 capabilities (00000000a80425fb)"
QString capabilitiesText(const QVariant &value)
{
    bool ok = false;
    const qulonglong mask = value.toString().toULongLong(&ok, 16);
    if (!ok)
        return InspectFormatter::text(value);
    return tr("%1 capabilities (%2)").arg(std::popcount(mask)).arg(value.toString());
}

QString seccompText(const QVariant &value)
{
    switch (value.toInt()) {
    case 0:
        return tr("off");
    case 1:
        return tr("strict");
    default:
        return tr("filter (system calls checked against a profile)");
    }
}

QString bytesText(const QVariant &value)
{
    return Format::bytes(value.toULongLong());
}

using Formatter = QString (*)(const QVariant &);
struct Known {
    const char *key;
    const char *label;
    Formatter format;
};
const Known KnownParts[] = {
    {"pid", QT_TRANSLATE_NOOP("InspectFormatter", "Process (host pid)"), nullptr},
    {"cgroupPath", QT_TRANSLATE_NOOP("InspectFormatter", "Control group"), nullptr},
    {"cgroupVersion", QT_TRANSLATE_NOOP("InspectFormatter", "Control groups"), nullptr},
    {"cpus", QT_TRANSLATE_NOOP("InspectFormatter", "CPU limit in force"),
     [](const QVariant &v) { return Format::cores(v.toDouble()); }},
    {"memoryLimit", QT_TRANSLATE_NOOP("InspectFormatter", "Memory limit in force"), bytesText},
    {"memoryUsage", QT_TRANSLATE_NOOP("InspectFormatter", "Memory in use"), bytesText},
    {"pidsLimit", QT_TRANSLATE_NOOP("InspectFormatter", "Process limit in force"), nullptr},
    {"cpuUsageNs", QT_TRANSLATE_NOOP("InspectFormatter", "CPU time used"),
     [](const QVariant &v) { return tr("%1 s").arg(static_cast<double>(v.toULongLong()) / 1e9, 0, 'f', 2); }},
    {"capEff", QT_TRANSLATE_NOOP("InspectFormatter", "Capabilities (effective)"), capabilitiesText},
    {"capBnd", QT_TRANSLATE_NOOP("InspectFormatter", "Capabilities (bounding)"), capabilitiesText},
    {"noNewPrivs", QT_TRANSLATE_NOOP("InspectFormatter", "No new privileges"), nullptr},
    {"seccompMode", QT_TRANSLATE_NOOP("InspectFormatter", "Seccomp"), seccompText},
    {"seccomp", QT_TRANSLATE_NOOP("InspectFormatter", "Seccomp"), nullptr},
    {"capabilities", QT_TRANSLATE_NOOP("InspectFormatter", "Capabilities"), nullptr},
    {"runtime", QT_TRANSLATE_NOOP("InspectFormatter", "Runtime"), nullptr},
    {"userns", QT_TRANSLATE_NOOP("InspectFormatter", "User namespace asked for"), nullptr},
    {"image", QT_TRANSLATE_NOOP("InspectFormatter", "Image"), nullptr},
    {"imageDigest", QT_TRANSLATE_NOOP("InspectFormatter", "Image digest"), nullptr},
    {"rootfs", QT_TRANSLATE_NOOP("InspectFormatter", "Root filesystem"), nullptr},
    {"rootfsLower", QT_TRANSLATE_NOOP("InspectFormatter", "Root filesystem (read-only layers)"), nullptr},
    {"rootfsUpper", QT_TRANSLATE_NOOP("InspectFormatter", "Root filesystem (its own changes)"), nullptr},
    {"bundle", QT_TRANSLATE_NOOP("InspectFormatter", "OCI bundle"), nullptr},
    {"qemuPid", QT_TRANSLATE_NOOP("InspectFormatter", "QEMU process"), nullptr},
    {"accelerator", QT_TRANSLATE_NOOP("InspectFormatter", "Accelerator"), nullptr},
    {"machine", QT_TRANSLATE_NOOP("InspectFormatter", "Machine"), nullptr},
    {"kernel", QT_TRANSLATE_NOOP("InspectFormatter", "Kernel"), nullptr},
    {"disks", QT_TRANSLATE_NOOP("InspectFormatter", "Disks"), nullptr},
    {"vcpus", QT_TRANSLATE_NOOP("InspectFormatter", "vCPUs"), nullptr},
    {"memory", QT_TRANSLATE_NOOP("InspectFormatter", "Memory"), bytesText},
    {"maxVcpus", QT_TRANSLATE_NOOP("InspectFormatter", "vCPUs (most it can grow to)"), nullptr},
    {"maxMemory", QT_TRANSLATE_NOOP("InspectFormatter", "Memory (most it can grow to)"), bytesText},
    {"initrd", QT_TRANSLATE_NOOP("InspectFormatter", "Initrd"), nullptr},
    {"cmdline", QT_TRANSLATE_NOOP("InspectFormatter", "Kernel command line"), nullptr},
    {"cpuTimeNs", QT_TRANSLATE_NOOP("InspectFormatter", "CPU time used"),
     [](const QVariant &v) { return tr("%1 s").arg(static_cast<double>(v.toULongLong()) / 1e9, 0, 'f', 2); }},
    {"hasDisplay", QT_TRANSLATE_NOOP("InspectFormatter", "Display"), nullptr},
    {"osVariant", QT_TRANSLATE_NOOP("InspectFormatter", "Guest OS"), nullptr},
    {"unknown", QT_TRANSLATE_NOOP("InspectFormatter", "Not read (unknown)"), nullptr},
};
// Shown elsewhere (state), or too long to be read here (the mount options, the domain XML).
// measured: the walls line above the table, and Compare.
const char *const Hidden[]
    = {"namespaces", "state", "rootfsMount", "xml", "name", "source", "measured", "idMap", "uidMap"};
} // namespace

QString InspectFormatter::row(const QString &label, const QString &value)
{
    return QStringLiteral("<tr><td style='padding-right:12px'><b>%1</b></td><td>%2</td></tr>")
        .arg(label.toHtmlEscaped(), value.toHtmlEscaped());
}

QVariant InspectFormatter::plain(const QVariant &value)
{
    return plainDBusValue(value);
}

QString InspectFormatter::text(const QVariant &raw)
{
    const QVariant value = plain(raw);
    if (value.typeId() == QMetaType::QStringList)
        return value.toStringList().join(QStringLiteral(", "));
    if (value.typeId() == QMetaType::QVariantList) {
        QStringList parts;
        for (const QVariant &item : value.toList())
            parts << text(item);
        return parts.join(QStringLiteral(", "));
    }
    if (value.typeId() == QMetaType::QVariantMap) {
        QStringList parts;
        const QVariantMap map = value.toMap();
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            parts << it.key() + QLatin1Char('=') + text(it.value());
        return parts.join(QStringLiteral(", "));
    }
    if (value.typeId() == QMetaType::Bool)
        return value.toBool() ? tr("yes") : tr("no");
    return value.toString();
}

QString InspectFormatter::rows(const QVariantMap &parts)
{
    QString html;
    const QVariantMap idMap = plain(parts.value(QStringLiteral("idMap"))).toMap();
    if (parts.contains(QStringLiteral("namespaces")))
        html += namespacesRows(plain(parts.value(QStringLiteral("namespaces"))).toMap(), idMap);
    else if (!idMap.isEmpty()) // not running: the range it will run with
        html += row(tr("User"), tr("its own ids — %1").arg(NamespaceFacts::idMapMeans(idMap)));
    QStringList shown;
    for (const char *hidden : Hidden)
        shown << QString::fromLatin1(hidden);
    for (const Known &known : KnownParts) {
        const QString key = QString::fromLatin1(known.key);
        if (!parts.contains(key) || shown.contains(key))
            continue;
        const QVariant value = plain(parts.value(key));
        const QString display = known.format ? known.format(value) : text(value);
        html += row(tr(known.label), display.isEmpty() ? tr("none") : display);
        shown << key;
    }
    for (auto it = parts.cbegin(); it != parts.cend(); ++it)
        if (!shown.contains(it.key()))
            html += row(it.key(), text(it.value()));
    return html;
}

} // namespace Hamlet
