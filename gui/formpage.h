#pragma once

#include <QWizardPage>
#include <functional>

namespace Hamlet {

// A wizard page whose Next/Finish button follows a rule given by the wizard ("the name is valid
// and the file exists") instead of QWizard's "mandatory fields are filled". Call recheck() when
// an input changes.
class FormPage : public QWizardPage
{
    Q_OBJECT
public:
    explicit FormPage(const QString &title, const QString &subTitle, QWidget *parent = nullptr);

    void setRule(std::function<bool()> rule) { m_rule = std::move(rule); }
    bool isComplete() const override { return !m_rule || m_rule(); }
    void recheck() { Q_EMIT completeChanged(); }

private:
    std::function<bool()> m_rule;
};

} // namespace Hamlet
