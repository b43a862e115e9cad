#pragma once

#include <QAccessibleWidget>

namespace Hamlet {

class TerminalWidget;

// What assistive technology sees of a TerminalWidget: a terminal whose value is the visible
// screen text (read from libvterm), named after the widget's accessible name.
class TerminalAccessible : public QAccessibleWidget
{
public:
    explicit TerminalAccessible(TerminalWidget *terminal);

    QString text(QAccessible::Text t) const override;

    // Registers the factory that gives every TerminalWidget this interface (once per process).
    static void install();
};

} // namespace Hamlet
