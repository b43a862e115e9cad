#include "overviewpage.h"

#include "comparetable.h"
#include "formatting.h"
#include "inspectformatter.h"

#include <QLabel>
#include <QRegularExpression>
#include <QScrollArea>
#include <QVBoxLayout>

#include <pwd.h>

namespace Hamlet {

namespace {
QString row(const QString &label, const QString &value)
{
    return InspectFormatter::row(label, value);
}

QString networkMode(const InstanceListModel::Instance &instance)
{
    if (instance.network == QLatin1String("nat"))
        return OverviewPage::tr("NAT (the Hamlet network)");
    if (instance.network == QLatin1String("none"))
        return OverviewPage::tr("none (loopback only)");
    if (instance.network == QLatin1String("host"))
        return OverviewPage::tr("host (shares this computer's network)");
    if (instance.network.isEmpty())
        return OverviewPage::tr("unknown (not in its spec)");
    return instance.network;
}

QString networkHtml(const InstanceListModel::Instance &instance)
{
    QString html = QStringLiteral("<h3>%1</h3><table>").arg(OverviewPage::tr("Network"));
    html += row(OverviewPage::tr("Mode"), networkMode(instance));
    const bool up = instance.state == QLatin1String("running") || instance.state == QLatin1String("paused");
    QString addresses = InstanceListModel::addressOnly(instance);
    if (addresses.isEmpty())
        addresses = up ? OverviewPage::tr("unknown") : OverviewPage::tr("none while it is not running");
    html += row(OverviewPage::tr("Addresses"), addresses);
    QStringList ports;
    for (const PublishedPort &port : instance.ports) {
        const QUrl url = port.url();
        ports << (url.isEmpty() ? port.label().toHtmlEscaped()
                                : QStringLiteral("<a href=\"%1\">%2</a>")
                                      .arg(url.toString().toHtmlEscaped(), port.label().toHtmlEscaped()));
    }
    // Built by hand: the ports are links, which row() would escape.
    html += QStringLiteral("<tr><td style='padding-right:12px'><b>%1</b></td><td>%2</td></tr>")
                .arg(OverviewPage::tr("Published ports").toHtmlEscaped(),
                     ports.isEmpty() ? OverviewPage::tr("none").toHtmlEscaped() : ports.join(QStringLiteral("<br>")));
    return html + QStringLiteral("</table>");
}
} // namespace

OverviewPage::OverviewPage(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel(this))
    , m_network(new QLabel(this))
    , m_isolation(new QLabel(this))
{
    for (QLabel *label : {m_summary, m_network, m_isolation}) {
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        label->setWordWrap(true);
        label->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    }
    m_network->setObjectName(QStringLiteral("overviewNetwork"));
    m_network->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_network->setOpenExternalLinks(true); // QDesktopServices: the desktop's browser
    auto *content = new QWidget;
    auto *inner = new QVBoxLayout(content);
    inner->addWidget(m_summary);
    inner->addWidget(m_network);
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

namespace {
// "alice (uid 1000)"; an instance from before owners were recorded belongs to root, and says so.
QString ownerText(const InstanceListModel::Instance &instance)
{
    if (!instance.ownerUid)
        return OverviewPage::tr("unknown (not read yet)");
    const passwd *account = ::getpwuid(*instance.ownerUid);
    const QString who = account
        ? OverviewPage::tr("%1 (uid %2)").arg(QString::fromLocal8Bit(account->pw_name)).arg(*instance.ownerUid)
        : OverviewPage::tr("uid %1").arg(*instance.ownerUid);
    return instance.ownerRecorded ? who
                                  : OverviewPage::tr("%1: made before owners were recorded, so only an administrator "
                                                     "may change it")
                                        .arg(who);
}
} // namespace

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
    html += row(tr("Owner"), ownerText(instance));
    if (!instance.error.isEmpty())
        html += row(tr("Error"), instance.error);
    if (vm) {
        html += row(tr("Source"), spec.value(QStringLiteral("source"), tr("unknown")).toString());
    } else {
        html += row(tr("Image"), spec.value(QStringLiteral("image"), QStringLiteral("busybox")).toString());
        const QString command
            = InspectFormatter::plain(spec.value(QStringLiteral("command"))).toStringList().join(QLatin1Char(' '));
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
        // The same number the Performance page shows: the model's, from the helper's samples or spec.
        html += row(tr("Processes"),
                    instance.pidsLimit > 0 ? tr("at most %1").arg(instance.pidsLimit)
                                           : tr("unknown (the helper did not report it)"));
    } else if (spec.contains(QStringLiteral("diskSize"))) {
        html += row(tr("Disk"), Format::bytes(spec.value(QStringLiteral("diskSize")).toULongLong()));
    }
    html += QStringLiteral("</table>");
    m_summary->setText(html);
    m_network->setText(networkHtml(instance));
}

void OverviewPage::showInspect(const QVariantMap &parts)
{
    // The seed's table, live: what stands between this instance's program and the host.
    const QString walls = CompareTable::wallsLine(parts);
    const QString wallsLine = walls.isEmpty()
        ? QString()
        : QStringLiteral("<p><b>%1</b> %2</p>").arg(tr("What walls this instance has:"), walls.toHtmlEscaped());
    m_isolation->setText(QStringLiteral("<h3>%1</h3>%2<table>%3</table>")
                             .arg(tr("Isolation"), wallsLine, InspectFormatter::rows(parts)));
}

void OverviewPage::showInspectProblem(const QString &problem)
{
    m_isolation->setText(QStringLiteral("<h3>%1</h3><p>%2</p>").arg(tr("Isolation"), problem.toHtmlEscaped()));
}

void OverviewPage::clear()
{
    m_summary->clear();
    m_network->clear();
    m_isolation->clear();
}

QString OverviewPage::text() const
{
    QString html = m_summary->text() + m_network->text() + m_isolation->text();
    html.replace(QStringLiteral("</tr>"), QStringLiteral("\n"));
    html.replace(QStringLiteral("<br>"), QStringLiteral("; "));
    html.replace(QStringLiteral("</td><td>"), QStringLiteral(": "));
    html.remove(QRegularExpression(QStringLiteral("<[^>]*>")));
    return html;
}

} // namespace Hamlet
