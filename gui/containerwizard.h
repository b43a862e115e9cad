#pragma once

#include "capabilities.h"
#include "createwizard.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace Hamlet {

class FormPage;
class ImageListModel;
class NameField;
class NetworkPage;

// New container: image (every image of the store once offerImages() is called, busybox first;
// the built-in busybox alone otherwise), name (checked as typed), command and terminal, then CPU,
// memory and process limits with defaults that suit this host, and autostart; then the network
// (NAT by default) and published ports.
class ContainerWizard : public CreateWizard
{
    Q_OBJECT
public:
    ContainerWizard(HelperClient *client, const Capabilities &capabilities, const QString &suggestedName,
                    QWidget *parent = nullptr);

    // Offers the images of the store and follows its changes; preferred is selected if present.
    void offerImages(ImageListModel *images, const QString &preferred = {});
    QComboBox *imageBox() const { return m_image; }
    QString image() const;
    NameField *nameField() const { return m_name; }
    QLineEdit *commandEdit() const { return m_command; }
    QCheckBox *ttyBox() const { return m_tty; }
    QDoubleSpinBox *cpusBox() const { return m_cpus; }
    QLineEdit *memoryEdit() const { return m_memory; }
    QSpinBox *pidsBox() const { return m_pids; }
    QCheckBox *autostartBox() const { return m_autostart; }
    QComboBox *restartBox() const { return m_restart; }
    FormPage *setupPage() const { return m_setup; }
    FormPage *limitsPage() const { return m_limits; }
    NetworkPage *networkPage() const { return m_network; }

    std::optional<QVariantMap> spec(QString *problem) const override;

protected:
    QString instanceName() const override;
    QString summary() const override;
    bool createsVm() const override { return false; }
    void refused(const ClientError &error) override;

private:
    void buildSetupPage(const Capabilities &capabilities, const QString &suggestedName);
    void buildLimitsPage(const Capabilities &capabilities);
    QString memoryProblem() const;
    void fillImages(const QString &keep);
    void onImageChosen();

    qulonglong m_hostMemory;
    FormPage *m_setup = nullptr;
    FormPage *m_limits = nullptr;
    NetworkPage *m_network = nullptr;
    QComboBox *m_image = nullptr;
    ImageListModel *m_images = nullptr;
    bool m_commandEdited = false; // typed by the person: no longer follows the image
    NameField *m_name = nullptr;
    QLineEdit *m_command = nullptr;
    QCheckBox *m_tty = nullptr;
    QDoubleSpinBox *m_cpus = nullptr;
    QLineEdit *m_memory = nullptr;
    QLabel *m_memoryProblem = nullptr;
    QSpinBox *m_pids = nullptr;
    QCheckBox *m_autostart = nullptr;
    QComboBox *m_restart = nullptr; // the spec's "restart", as item data
};

} // namespace Hamlet
