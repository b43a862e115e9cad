#pragma once

#include "formpage.h"
#include "publishedports.h"

class QAbstractButton;
class QButtonGroup;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace Hamlet {

// The Network step of a create wizard: how the instance reaches the network (the modes the caller
// offers, so a VM wizard can offer exactly what the helper accepts for VMs) and, on the NAT
// network, the published ports in a small table with add/remove. Ports are checked as typed
// (1..65535, a host port given twice) and block Next; a host port another program holds is found
// by a quick local bind and is only a hint. The helper checks again in its reply to the create
// call and that answer counts: showRefusal() puts it here too.
class NetworkPage : public FormPage
{
    Q_OBJECT
public:
    struct Mode {
        QString key; // the spec's "network" value
        QString label;
        QString explanation;
    };
    enum PortColumn { HostPortColumn, GuestPortColumn, ProtocolColumn, HostAddressColumn, PortColumnCount };

    // NAT (the default), none and host, as CreateContainer accepts them.
    static QList<Mode> containerModes();
    // NAT (the default), none and user, as CreateVm accepts them.
    static QList<Mode> vmModes();

    // guestPort names the far end of a port in the table and its messages ("Container port").
    NetworkPage(const QList<Mode> &modes, const QString &guestPort, QWidget *parent = nullptr);

    QString mode() const;
    void setMode(const QString &key);
    QAbstractButton *modeButton(const QString &key) const;
    bool publishes() const; // the mode has published ports (NAT)

    // Adds a row with a free host port suggested (from 8080) and container port 80; returns it.
    int addPort();
    void removePort(int row);
    int portCount() const;
    QLineEdit *hostPortEdit(int row) const;
    QLineEdit *guestPortEdit(int row) const;
    QComboBox *protocolBox(int row) const;
    QLineEdit *hostAddressEdit(int row) const;
    QPushButton *addButton() const { return m_add; }
    QPushButton *removeButton() const { return m_remove; }

    // What blocks Next ("" when nothing), and the hints that do not.
    QString problemText() const;
    QString hintText() const;
    // The rows as the spec's ports (only meaningful when problemText() is empty).
    QList<PublishedPort> ports() const;
    // One line for the wizard's summary.
    QString summary() const;
    void showRefusal(const QString &text);

private:
    void check();
    std::optional<PublishedPort> rowPort(int row, QStringList *problems, QStringList *hints) const;

    QButtonGroup *m_modes;
    QList<Mode> m_modeList;
    QTableWidget *m_table;
    QPushButton *m_add;
    QPushButton *m_remove;
    QLabel *m_portsNote;
    QLabel *m_problems;
    QLabel *m_hints;
    QLabel *m_refusal;
    QLabel *m_explanation;
    QString m_problemText;
    QString m_guestPort;
};

} // namespace Hamlet
