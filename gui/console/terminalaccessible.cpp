#include "terminalaccessible.h"

#include "terminalwidget.h"

namespace Hamlet {

namespace {
QAccessibleInterface *factory(const QString &className, QObject *object)
{
    if (className == QLatin1String(TerminalWidget::staticMetaObject.className()) && object && object->isWidgetType())
        return new TerminalAccessible(static_cast<TerminalWidget *>(object));
    return nullptr;
}
} // namespace

TerminalAccessible::TerminalAccessible(TerminalWidget *terminal)
    : QAccessibleWidget(terminal, QAccessible::Terminal)
{ }

QString TerminalAccessible::text(QAccessible::Text t) const
{
    const auto *terminal = static_cast<const TerminalWidget *>(widget());
    switch (t) {
    case QAccessible::Value:
        return terminal->screenText();
    case QAccessible::Description:
        return terminal->statusText();
    case QAccessible::Name:
        return terminal->accessibleName().isEmpty() ? TerminalWidget::tr("Console") : terminal->accessibleName();
    default:
        return QAccessibleWidget::text(t);
    }
}

void TerminalAccessible::install()
{
    static const bool installed = [] {
        QAccessible::installFactory(&factory);
        return true;
    }();
    Q_UNUSED(installed);
}

} // namespace Hamlet
