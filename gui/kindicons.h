#pragma once

#include <QIcon>
#include <QString>

namespace Hamlet {

// The two pictures that tell instances apart at a glance: an apartment block (container, shares
// the building) and a house (VM, a building of its own). Drawn with QPainter so they need no image
// plugin and stay sharp at any size; the same shapes as resources/icons/dev.hamlet.Hamlet.svg.
class KindIcons
{
public:
    static QIcon apartment();
    static QIcon house();
    static QIcon forKind(const QString &kind);
    // The application icon: the apartment block and the house side by side.
    static QIcon application();
};

} // namespace Hamlet
