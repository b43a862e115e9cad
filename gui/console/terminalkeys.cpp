#include "terminalkeys.h"

#include "terminalscreen.h"

#include <QKeyEvent>

namespace Hamlet {

namespace {
VTermKey specialKey(const QKeyEvent &event)
{
    const bool keypad = event.modifiers() & Qt::KeypadModifier;
    switch (event.key()) {
    case Qt::Key_Return:
        return VTERM_KEY_ENTER;
    case Qt::Key_Enter:
        return keypad ? VTERM_KEY_KP_ENTER : VTERM_KEY_ENTER;
    case Qt::Key_Tab:
    case Qt::Key_Backtab:
        return VTERM_KEY_TAB;
    case Qt::Key_Backspace:
        return VTERM_KEY_BACKSPACE;
    case Qt::Key_Escape:
        return VTERM_KEY_ESCAPE;
    case Qt::Key_Up:
        return VTERM_KEY_UP;
    case Qt::Key_Down:
        return VTERM_KEY_DOWN;
    case Qt::Key_Left:
        return VTERM_KEY_LEFT;
    case Qt::Key_Right:
        return VTERM_KEY_RIGHT;
    case Qt::Key_Insert:
        return VTERM_KEY_INS;
    case Qt::Key_Delete:
        return VTERM_KEY_DEL;
    case Qt::Key_Home:
        return VTERM_KEY_HOME;
    case Qt::Key_End:
        return VTERM_KEY_END;
    case Qt::Key_PageUp:
        return VTERM_KEY_PAGEUP;
    case Qt::Key_PageDown:
        return VTERM_KEY_PAGEDOWN;
    default:
        break;
    }
    if (event.key() >= Qt::Key_F1 && event.key() <= Qt::Key_F35)
        return VTermKey(VTERM_KEY_FUNCTION(event.key() - Qt::Key_F1 + 1));
    return VTERM_KEY_NONE;
}
} // namespace

VTermModifier terminalModifiers(Qt::KeyboardModifiers modifiers)
{
    int mod = VTERM_MOD_NONE;
    if (modifiers & Qt::ShiftModifier)
        mod |= VTERM_MOD_SHIFT;
    if (modifiers & Qt::AltModifier)
        mod |= VTERM_MOD_ALT;
    if (modifiers & Qt::ControlModifier)
        mod |= VTERM_MOD_CTRL;
    return VTermModifier(mod);
}

bool sendKeyToTerminal(TerminalScreen &screen, const QKeyEvent &event)
{
    VTermModifier mod = terminalModifiers(event.modifiers());
    if (const VTermKey key = specialKey(event); key != VTERM_KEY_NONE) {
        if (event.key() == Qt::Key_Backtab)
            mod = VTermModifier(mod | VTERM_MOD_SHIFT);
        screen.sendKey(key, mod);
        return true;
    }
    // Ctrl+letter: let libvterm make the control character from the plain letter, whatever the
    // keyboard layout put into text().
    if ((mod & VTERM_MOD_CTRL) && event.key() >= Qt::Key_A && event.key() <= Qt::Key_Z) {
        screen.sendChar(uint32_t('a' + (event.key() - Qt::Key_A)), mod);
        return true;
    }
    if ((mod & VTERM_MOD_CTRL) && event.key() == Qt::Key_Space) {
        screen.sendChar(0, VTERM_MOD_NONE); // Ctrl+Space is NUL (set-mark in Emacs)
        return true;
    }
    const QString text = event.text();
    if (text.isEmpty())
        return false;
    // The text already has Shift and AltGr applied; only Alt (as ESC prefix) still matters.
    const VTermModifier charMod = (mod & VTERM_MOD_ALT) ? VTERM_MOD_ALT : VTERM_MOD_NONE;
    for (const char32_t c : text.toUcs4())
        screen.sendChar(uint32_t(c), charMod);
    return true;
}

} // namespace Hamlet
