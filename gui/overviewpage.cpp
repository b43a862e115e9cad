#include "overviewpage.h"

#include "formatting.h"

#include <QDBusArgument>
#include <QDBusMetaType>
#include <QLabel>
#include <QRegularExpression>
#include <QScrollArea>
#include <QVBoxLayout>

namespace Hamlet {

namespace {
QString row(const QString &label, const QString &value)
{
    return QStringLiteral("<tr><td style='padding-right:12px'><b>%1</b></td><td>%2</td></tr>")
        .arg(label.toHtmlEscaped(), value.toHtmlEscaped());
}

// Values nested in an a{sv} arrive as QDBusArgument; turn the shapes Inspect uses into plain ones.
QVariant plain(const QVariant &value)
{
    if (value.userType() != qMetaTypeId<QDBusArgument>())
        return value;
    const auto argument = value.value<QDBusArgument>();
    const QString signature = argument.currentSignature();
    if (signature == QLatin1String("a{ss}")) {
        QVariantMap map;
        const auto strings = qdbus_cast<QMap<QString, QString>>(argument);
        for (auto it = strings.cbegin(); it != strings.cend(); ++it)
            map.insert(it.key(), it.value());
        return map;
    }
    if (signature == QLatin1String("a{sv}"))
        return qdbus_cast<QVariantMap>(argument);
    if (signature == QLatin1String("as"))
        return qdbus_cast<QStringList>(argument);
    if (signature == QLatin1String("aa{sv}")) {
        QVariantList list;
        for (const QVariantMap &map : qdbus_cast<QList<QVariantMap>>(argument))
            list << map;
        return list;
    }
    return QStringLiteral("(%1)").arg(signature);
}

QString valueText(const QVariant &raw)
{
    const QVariant value = plain(raw);
    if (value.typeId() == QMetaType::QStringList)
        return value.toStringList().join(QLatin1Char(' '));
    if (value.typeId() == QMetaType::QVariantList) {
        QStringList parts;
        for (const QVariant &item : value.toList())
            parts << valueText(item);
        return parts.join(QStringLiteral(", "));
    }
    if (value.typeId() == QMetaType::QVariantMap) {
        QStringList parts;
        const QVariantMap map = value.toMap();
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            parts << it.key() + QLatin1Char('=') + valueText(it.value());
        return parts.join(QStringLiteral(", "));
    }
    if (value.typeId() == QMetaType::Bool)
        return value.toBool() ? OverviewPage::tr("yes") : OverviewPage::tr("no");
    return value.toString();
}

// "pid, mnt, net: own · user: shared with the host"
QString namespacesText(const QVariantMap &namespaces)
{
    QStringList own;
    QStringList shared;
    for (auto it = namespaces.cbegin(); it != namespaces.cend(); ++it)
        (it.value().toString().startsWith(QLatin1String("own")) ? own : shared) << it.key();
    QStringList parts;
    if (!own.isEmpty())
        parts << OverviewPage::tr("own %1").arg(own.join(QStringLiteral(", ")));
    if (!shared.isEmpty())
        parts << OverviewPage::tr("shared with the host: %1").arg(shared.join(QStringLiteral(", ")));
    return parts.join(QStringLiteral(" · "));
}
} // namespace

OverviewPage::OverviewPage(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel(this))
    , m_isolation(new QLabel(this))
{
    for (QLabel *label : {m_summary, m_isolation}) {
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        label->setWordWrap(true);
        label->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    }
    auto *content = new QWidget;
    auto *inner = new QVBoxLayout(content);
    inner->addWidget(m_summary);
    inner->addWidget(m_isolation);
    inner->addStretch(1);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(scroll);
}

void OverviewPage::showInstance(const InstanceListModel::Instance &instance)
{
    const bool vm = instance.kind == QLatin1String("vm");
    const QVariantMap &spec = instance.spec;
    QString html = QStringLiteral("<h3>%1</h3><table>").arg(tr("Instance"));
    html += row(tr("Kind"),
                vm ? tr("virtual machine (house): its own kernel on a hypervisor")
                   : tr("container (apartment): shares the host's kernel"));
    QString state = instance.state;
    if (instance.state == QLatin1String("stopped") && instance.exitCode >= 0)
        state += tr(" (exit code %1)").arg(instance.exitCode);
    html += row(tr("State"), state);
    if (!instance.error.isEmpty())
        html += row(tr("Error"), instance.error);
    if (vm) {
        html += row(tr("Source"), spec.value(QStringLiteral("source"), tr("unknown")).toString());
    } else {
        html += row(tr("Image"), spec.value(QStringLiteral("image"), QStringLiteral("busybox")).toString());
        const QString command = valueText(spec.value(QStringLiteral("command")));
        html += row(tr("Command"), command.isEmpty() ? tr("the image's default") : command);
        html += row(tr("Terminal"), spec.value(QStringLiteral("tty")).toBool() ? tr("yes") : tr("no"));
    }
    html += row(tr("Start with the helper"), spec.value(QStringLiteral("autostart")).toBool() ? tr("yes") : tr("no"));
    html += QStringLiteral("</table><h3>%1</h3><table>").arg(tr("Limits"));
    const double cpus = instance.cpuLimitCores > 0
        ? instance.cpuLimitCores
        : spec.value(vm ? QStringLiteral("vcpus") : QStringLiteral("cpus")).toDouble();
    html += row(vm ? tr("vCPUs") : tr("CPU"), cpus > 0 ? Format::cores(cpus) : tr("no limit"));
    const qulonglong memory = instance.memoryLimitBytes > 0 ? instance.memoryLimitBytes
                                                            : spec.value(QStringLiteral("memory")).toULongLong();
    html += row(tr("Memory"), memory > 0 ? Format::bytes(memory) : tr("no limit"));
    if (!vm) {
        const qulonglong pids = spec.value(QStringLiteral("pids")).toULongLong();
        html += row(tr("Processes"), pids > 0 ? QString::number(pids) : tr("no limit"));
    } else if (spec.contains(QStringLiteral("diskSize"))) {
        html += row(tr("Disk"), Format::bytes(spec.value(QStringLiteral("diskSize")).toULongLong()));
    }
    html += QStringLiteral("</table>");
    m_summary->setText(html);
}

void OverviewPage::showInspect(const QVariantMap &parts)
{
    static const QList<std::pair<QString, QString>> known {
        {QStringLiteral("pid"), tr("Process")},
        {QStringLiteral("cgroupPath"), tr("Control group")},
        {QStringLiteral("rootfs"), tr("Root filesystem")},
        {QStringLiteral("runtime"), tr("Runtime")},
        {QStringLiteral("capabilities"), tr("Capabilities")},
        {QStringLiteral("seccomp"), tr("Seccomp")},
        {QStringLiteral("qemuPid"), tr("QEMU process")},
        {QStringLiteral("accelerator"), tr("Accelerator")},
        {QStringLiteral("machine"), tr("Machine")},
        {QStringLiteral("kernel"), tr("Kernel")},
        {QStringLiteral("disks"), tr("Disks")},
        {QStringLiteral("vcpus"), tr("vCPUs")},
        {QStringLiteral("memory"), tr("Memory")},
    };
    QString html = QStringLiteral("<h3>%1</h3><table>").arg(tr("Isolation"));
    if (parts.contains(QStringLiteral("namespaces")))
        html += row(tr("Namespaces"), namespacesText(plain(parts.value(QStringLiteral("namespaces"))).toMap()));
    QStringList shown {QStringLiteral("namespaces"), QStringLiteral("xml")};
    for (const auto &[key, label] : known) {
        if (!parts.contains(key))
            continue;
        html += row(label, valueText(parts.value(key)));
        shown << key;
    }
    for (auto it = parts.cbegin(); it != parts.cend(); ++it)
        if (!shown.contains(it.key()))
            html += row(it.key(), valueText(it.value()));
    html += QStringLiteral("</table>");
    m_isolation->setText(html);
}

void OverviewPage::showInspectProblem(const QString &problem)
{
    m_isolation->setText(QStringLiteral("<h3>%1</h3><p>%2</p>").arg(tr("Isolation"), problem.toHtmlEscaped()));
}

void OverviewPage::clear()
{
    m_summary->clear();
    m_isolation->clear();
}

QString OverviewPage::text() const
{
    QString html = m_summary->text() + m_isolation->text();
    html.replace(QStringLiteral("</tr>"), QStringLiteral("\n"));
    html.replace(QStringLiteral("</td><td>"), QStringLiteral(": "));
    html.remove(QRegularExpression(QStringLiteral("<[^>]*>")));
    return html;
}

} // namespace Hamlet
