#include "keysyms.h"

#include <QGuiApplication>
#include <QKeyEvent>

#include <rfb/keysym.h>

namespace Hamlet {

namespace {
uint32_t specialKeysym(int key, bool keypad)
{
    switch (key) {
    case Qt::Key_Escape:
        return XK_Escape;
    case Qt::Key_Tab:
        return XK_Tab;
    case Qt::Key_Backtab:
        return XK_ISO_Left_Tab;
    case Qt::Key_Backspace:
        return XK_BackSpace;
    case Qt::Key_Return:
        return XK_Return;
    case Qt::Key_Enter:
        return keypad ? XK_KP_Enter : XK_Return;
    case Qt::Key_Insert:
        return XK_Insert;
    case Qt::Key_Delete:
        return XK_Delete;
    case Qt::Key_Pause:
        return XK_Pause;
    case Qt::Key_Print:
        return XK_Print;
    case Qt::Key_SysReq:
        return XK_Sys_Req;
    case Qt::Key_Home:
        return XK_Home;
    case Qt::Key_End:
        return XK_End;
    case Qt::Key_Left:
        return XK_Left;
    case Qt::Key_Up:
        return XK_Up;
    case Qt::Key_Right:
        return XK_Right;
    case Qt::Key_Down:
        return XK_Down;
    case Qt::Key_PageUp:
        return XK_Page_Up;
    case Qt::Key_PageDown:
        return XK_Page_Down;
    case Qt::Key_Shift:
        return XK_Shift_L;
    case Qt::Key_Control:
        return XK_Control_L;
    case Qt::Key_Meta:
        return XK_Super_L;
    case Qt::Key_Alt:
        return XK_Alt_L;
    case Qt::Key_AltGr:
        return XK_ISO_Level3_Shift;
    case Qt::Key_CapsLock:
        return XK_Caps_Lock;
    case Qt::Key_NumLock:
        return XK_Num_Lock;
    case Qt::Key_ScrollLock:
        return XK_Scroll_Lock;
    case Qt::Key_Menu:
        return XK_Menu;
    default:
        break;
    }
    if (key >= Qt::Key_F1 && key <= Qt::Key_F35)
        return XK_F1 + uint32_t(key - Qt::Key_F1);
    return 0;
}

uint32_t keysymForCharacter(char32_t c)
{
    // Latin-1 keysyms equal their code points; everything else uses the Unicode keysym range.
    if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff))
        return uint32_t(c);
    if (c > 0xff)
        return 0x01000000u | uint32_t(c);
    return 0;
}
} // namespace

uint32_t keysymForKeyEvent(const QKeyEvent &event)
{
    if (QGuiApplication::platformName() == QLatin1String("xcb") && event.nativeVirtualKey() != 0)
        return event.nativeVirtualKey(); // on X11 this is already the keysym
    const bool keypad = event.modifiers() & Qt::KeypadModifier;
    if (const uint32_t special = specialKeysym(event.key(), keypad))
        return special;
    const bool shift = event.modifiers() & Qt::ShiftModifier;
    // With Ctrl held, text() is a control character; the key code still names the key.
    if (event.key() >= Qt::Key_A && event.key() <= Qt::Key_Z && (event.modifiers() & Qt::ControlModifier))
        return uint32_t((shift ? 'A' : 'a') + (event.key() - Qt::Key_A));
    const QList<uint> text = event.text().toUcs4();
    if (text.size() == 1)
        if (const uint32_t sym = keysymForCharacter(char32_t(text.first())))
            return sym;
    if (event.key() >= Qt::Key_A && event.key() <= Qt::Key_Z)
        return uint32_t((shift ? 'A' : 'a') + (event.key() - Qt::Key_A));
    if (event.key() >= 0x20 && event.key() <= 0xff)
        return uint32_t(event.key());
    return 0;
}

} // namespace Hamlet
