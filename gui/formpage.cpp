#include "formpage.h"

namespace Hamlet {

FormPage::FormPage(const QString &title, const QString &subTitle, QWidget *parent)
    : QWizardPage(parent)
{
    setTitle(title);
    setSubTitle(subTitle);
}

} // namespace Hamlet
