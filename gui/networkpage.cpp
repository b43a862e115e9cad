#include "networkpage.h"

#include "portprobe.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <arpa/inet.h>

namespace Hamlet {

namespace {
const QString ErrorStyle = QStringLiteral("color: #b3261e;");

bool isIpv4(const QString &text)
{
    in_addr address {};
    return inet_pton(AF_INET, text.toLatin1().constData(), &address) == 1;
}

QLineEdit *cellEdit(QTableWidget *table, int row, int column, const QString &placeholder)
{
    auto *edit = new QLineEdit(table);
    edit->setFrame(false);
    edit->setPlaceholderText(placeholder);
    table->setCellWidget(row, column, edit);
    return edit;
}
} // namespace

QList<NetworkPage::Mode> NetworkPage::containerModes()
{
    return {
        {QStringLiteral("nat"), tr("NAT (the Hamlet network)"),
         tr("Its own address on the Hamlet network; reaches the outside through this computer, finds other "
            "instances by name, and is reached from here through the ports you publish.")},
        {QStringLiteral("none"), tr("None"), tr("Loopback only: no way in or out.")},
        {QStringLiteral("host"), tr("Host"),
         tr("Shares this computer's network: its programs use this computer's addresses and ports directly. "
            "Asks an administrator.")},
    };
}

QList<NetworkPage::Mode> NetworkPage::vmModes()
{
    return {
        {QStringLiteral("nat"), tr("NAT (the Hamlet network)"),
         tr("A network card on the Hamlet network with an address of its own (by DHCP, the same at every boot); "
            "reaches the outside through this computer, finds other instances by name, and is reached from here "
            "through the ports you publish.")},
        {QStringLiteral("none"), tr("None"), tr("No network card.")},
        {QStringLiteral("user"), tr("User"),
         tr("QEMU's own user networking: reaches the outside through this computer, but has no address on the "
            "Hamlet network, no name there and no published port. For hosts where the Hamlet network is "
            "unavailable.")},
    };
}

NetworkPage::NetworkPage(const QList<Mode> &modes, const QString &guestPort, QWidget *parent)
    : FormPage(tr("Network"), tr("How it reaches the network, and which of its ports this computer publishes."), parent)
    , m_modes(new QButtonGroup(this))
    , m_modeList(modes)
    , m_table(new QTableWidget(0, PortColumnCount, this))
    , m_add(new QPushButton(tr("&Add port"), this))
    , m_remove(new QPushButton(tr("&Remove"), this))
    , m_portsNote(new QLabel(this))
    , m_problems(new QLabel(this))
    , m_hints(new QLabel(this))
    , m_refusal(new QLabel(this))
    , m_explanation(new QLabel(this))
    , m_guestPort(guestPort)
{
    setObjectName(QStringLiteral("networkPage"));
    auto *layout = new QVBoxLayout(this);
    // The modes side by side, and what the chosen one means beneath them: short enough that the
    // ports table keeps its room in a small wizard.
    auto *modeRow = new QHBoxLayout;
    for (int i = 0; i < modes.size(); ++i) {
        auto *button = new QRadioButton(modes.at(i).label, this);
        button->setObjectName(QStringLiteral("network_") + modes.at(i).key);
        button->setToolTip(modes.at(i).explanation);
        m_modes->addButton(button, i);
        modeRow->addWidget(button);
    }
    modeRow->addStretch(1);
    m_explanation->setObjectName(QStringLiteral("networkExplanation"));
    m_explanation->setWordWrap(true);
    m_explanation->setMinimumHeight(m_explanation->fontMetrics().lineSpacing() * 2);
    m_explanation->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    layout->addLayout(modeRow);
    layout->addWidget(m_explanation);
    if (!m_modes->buttons().isEmpty())
        m_modes->buttons().constFirst()->setChecked(true);

    auto *portsTitle = new QLabel(tr("<b>Published ports</b>"), this);
    m_table->setObjectName(QStringLiteral("ports"));
    m_table->setHorizontalHeaderLabels({tr("Host port"), m_guestPort, tr("Protocol"), tr("Host address")});
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setMinimumHeight(90);
    m_add->setObjectName(QStringLiteral("addPort"));
    m_remove->setObjectName(QStringLiteral("removePort"));
    m_portsNote->setWordWrap(true);
    m_portsNote->setObjectName(QStringLiteral("portsNote"));
    m_problems->setObjectName(QStringLiteral("portProblems"));
    m_problems->setStyleSheet(ErrorStyle);
    m_hints->setObjectName(QStringLiteral("portHints"));
    m_refusal->setObjectName(QStringLiteral("portRefusal"));
    m_refusal->setStyleSheet(
        QStringLiteral("QLabel { background: #fdecea; border: 1px solid #e0a39c; border-radius: 4px; padding: 4px; }"));
    for (QLabel *label : {m_problems, m_hints, m_refusal})
        label->setWordWrap(true);
    m_refusal->hide();
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_portsNote, 1);
    buttons->addWidget(m_add);
    buttons->addWidget(m_remove);
    layout->addSpacing(6);
    layout->addWidget(portsTitle);
    layout->addWidget(m_table, 1);
    layout->addLayout(buttons);
    layout->addWidget(m_problems);
    layout->addWidget(m_hints);
    layout->addWidget(m_refusal);

    setRule([this] { return m_modes->checkedId() >= 0 && m_problemText.isEmpty(); });
    connect(m_modes, &QButtonGroup::idToggled, this, [this](int, bool on) {
        if (on)
            check();
    });
    connect(m_add, &QPushButton::clicked, this, [this] { addPort(); });
    connect(m_remove, &QPushButton::clicked, this, [this] {
        const int row = m_table->currentRow();
        removePort(row >= 0 ? row : portCount() - 1);
    });
    connect(m_table, &QTableWidget::currentCellChanged, this, [this] { check(); });
    check();
}

QString NetworkPage::mode() const
{
    const int id = m_modes->checkedId();
    return id >= 0 ? m_modeList.at(id).key : QString();
}

void NetworkPage::setMode(const QString &key)
{
    if (QAbstractButton *button = modeButton(key))
        button->setChecked(true);
}

QAbstractButton *NetworkPage::modeButton(const QString &key) const
{
    for (int i = 0; i < m_modeList.size(); ++i)
        if (m_modeList.at(i).key == key)
            return m_modes->button(i);
    return nullptr;
}

bool NetworkPage::publishes() const
{
    return mode() == QLatin1String("nat");
}

int NetworkPage::addPort()
{
    // Suggest a host port nobody holds and no row uses, so a new row starts valid.
    const QList<PublishedPort> taken = ports();
    uint suggestion = 8080;
    const auto used = [&taken](uint port) {
        return std::any_of(taken.cbegin(), taken.cend(), [port](const PublishedPort &p) { return p.hostPort == port; });
    };
    while (
        suggestion < 65535
        && (used(suggestion) || PortProbe::probe(suggestion, QStringLiteral("tcp"), {}) == PortProbe::Verdict::InUse))
        ++suggestion;
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    QLineEdit *host = cellEdit(m_table, row, HostPortColumn, tr("1–65535"));
    host->setText(QString::number(suggestion));
    QLineEdit *guest = cellEdit(m_table, row, GuestPortColumn, tr("same"));
    guest->setText(QStringLiteral("80"));
    auto *protocol = new QComboBox(m_table);
    protocol->addItem(QStringLiteral("tcp"));
    protocol->addItem(QStringLiteral("udp"));
    m_table->setCellWidget(row, ProtocolColumn, protocol);
    QLineEdit *address = cellEdit(m_table, row, HostAddressColumn, tr("every address"));
    for (QLineEdit *edit : {host, guest, address})
        connect(edit, &QLineEdit::textChanged, this, &NetworkPage::check);
    connect(protocol, &QComboBox::currentIndexChanged, this, &NetworkPage::check);
    m_table->setCurrentCell(row, HostPortColumn);
    check();
    return row;
}

void NetworkPage::removePort(int row)
{
    if (row < 0 || row >= m_table->rowCount())
        return;
    m_table->removeRow(row);
    check();
}

int NetworkPage::portCount() const
{
    return m_table->rowCount();
}

QLineEdit *NetworkPage::hostPortEdit(int row) const
{
    return qobject_cast<QLineEdit *>(m_table->cellWidget(row, HostPortColumn));
}

QLineEdit *NetworkPage::guestPortEdit(int row) const
{
    return qobject_cast<QLineEdit *>(m_table->cellWidget(row, GuestPortColumn));
}

QComboBox *NetworkPage::protocolBox(int row) const
{
    return qobject_cast<QComboBox *>(m_table->cellWidget(row, ProtocolColumn));
}

QLineEdit *NetworkPage::hostAddressEdit(int row) const
{
    return qobject_cast<QLineEdit *>(m_table->cellWidget(row, HostAddressColumn));
}

std::optional<PublishedPort> NetworkPage::rowPort(int row, QStringList *problems, QStringList *hints) const
{
    const QString which = tr("Port %1").arg(row + 1);
    PublishedPort port;
    const QString hostText = hostPortEdit(row)->text().trimmed();
    const QString guestText = guestPortEdit(row)->text().trimmed();
    const std::optional<uint> host = PublishedPorts::parsePort(hostText);
    const std::optional<uint> guest = guestText.isEmpty() ? host : PublishedPorts::parsePort(guestText);
    bool ok = true;
    if (!host) {
        *problems << (hostText.isEmpty() ? tr("%1: give the host port (1–65535).").arg(which)
                                         : tr("%1: host port '%2' is not a port: use 1–65535.").arg(which, hostText));
        ok = false;
    }
    if (!guest && !guestText.isEmpty()) {
        // "Container port" reads "container port" mid-sentence; an acronym ("VM port") stays.
        QString noun = m_guestPort;
        if (noun.size() > 1 && !noun.at(1).isUpper())
            noun[0] = noun.at(0).toLower();
        *problems << tr("%1: %2 '%3' is not a port: use 1–65535.").arg(which, noun, guestText);
        ok = false;
    }
    port.protocol = protocolBox(row)->currentText();
    port.hostAddress = hostAddressEdit(row)->text().trimmed();
    if (!port.hostAddress.isEmpty() && !isIpv4(port.hostAddress)) {
        *problems
            << tr("%1: '%2' is not an IPv4 address (leave it empty for every address).").arg(which, port.hostAddress);
        ok = false;
    }
    if (!ok)
        return std::nullopt;
    port.hostPort = *host;
    port.guestPort = *guest;
    switch (PortProbe::probe(port.hostPort, port.protocol, port.hostAddress)) {
    case PortProbe::Verdict::InUse:
        *hints << tr("%1: %2/%3 seems taken by another program on this computer; the helper will refuse it.")
                      .arg(which)
                      .arg(port.hostPort)
                      .arg(port.protocol);
        break;
    case PortProbe::Verdict::NotThisComputer:
        *hints << tr("%1: %2 does not seem to be an address of this computer.").arg(which, port.hostAddress);
        break;
    case PortProbe::Verdict::NeedsPrivilege:
    case PortProbe::Verdict::Free:
    case PortProbe::Verdict::Unknown:
        break;
    }
    if (port.hostPort < 1024)
        *hints << tr("%1: a host port below 1024 asks an administrator.").arg(which);
    return port;
}

void NetworkPage::check()
{
    const int id = m_modes->checkedId();
    m_explanation->setText(id >= 0 ? m_modeList.at(id).explanation : QString());
    const bool on = publishes();
    m_table->setEnabled(on);
    m_add->setEnabled(on);
    m_remove->setEnabled(on && portCount() > 0);
    m_portsNote->setText(
        on ? (portCount() == 0 ? tr("None: nothing of it is reachable from this computer's ports.") : QString())
           : tr("Only on the NAT network: with %1 there is nothing to publish.").arg(mode()));
    QStringList problems;
    QStringList hints;
    if (on) {
        QList<std::pair<int, PublishedPort>> seen;
        for (int row = 0; row < portCount(); ++row) {
            const std::optional<PublishedPort> port = rowPort(row, &problems, &hints);
            if (!port)
                continue;
            for (const auto &[other, earlier] : std::as_const(seen))
                if (PublishedPorts::clash(earlier, *port))
                    problems << tr("Port %1: host port %2/%3 is already published by port %4.")
                                    .arg(row + 1)
                                    .arg(port->hostPort)
                                    .arg(port->protocol)
                                    .arg(other + 1);
            seen.append({row, *port});
        }
    }
    m_problemText = problems.join(QLatin1Char('\n'));
    m_problems->setText(m_problemText);
    m_problems->setVisible(!m_problemText.isEmpty());
    m_hints->setText(hints.join(QLatin1Char('\n')));
    m_hints->setVisible(!hints.isEmpty());
    // The helper's earlier refusal was about what was there then: any change retires it.
    m_refusal->hide();
    recheck();
}

QString NetworkPage::problemText() const
{
    return m_problemText;
}

QString NetworkPage::hintText() const
{
    return m_hints->isHidden() ? QString() : m_hints->text();
}

QList<PublishedPort> NetworkPage::ports() const
{
    QList<PublishedPort> result;
    if (!publishes())
        return result;
    QStringList ignored;
    for (int row = 0; row < portCount(); ++row) {
        const QString host = hostPortEdit(row)->text().trimmed();
        const QString guest = guestPortEdit(row)->text().trimmed();
        const auto hostPort = PublishedPorts::parsePort(host);
        const auto guestPort = guest.isEmpty() ? hostPort : PublishedPorts::parsePort(guest);
        if (!hostPort || !guestPort)
            continue;
        result << PublishedPort {*hostPort, *guestPort, protocolBox(row)->currentText(),
                                 hostAddressEdit(row)->text().trimmed()};
    }
    return result;
}

QString NetworkPage::summary() const
{
    const int id = m_modes->checkedId();
    const QString label = id >= 0 ? m_modeList.at(id).label : tr("unknown");
    const QList<PublishedPort> published = ports();
    if (published.isEmpty())
        return tr("Network: %1%2.").arg(label, publishes() ? tr(", no published port") : QString());
    QStringList labels;
    for (const PublishedPort &port : published)
        labels << port.label();
    return tr("Network: %1, publishing %2.").arg(label, labels.join(QStringLiteral(", ")));
}

void NetworkPage::showRefusal(const QString &text)
{
    m_refusal->setText(tr("The helper refused: %1").arg(text));
    m_refusal->show();
}

} // namespace Hamlet
