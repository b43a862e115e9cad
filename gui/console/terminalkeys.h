#pragma once

#include <Qt>
#include <vterm_keycodes.h>

class QKeyEvent;

namespace Hamlet {

class TerminalScreen;

// Turns a Qt key press into what a terminal sends: libvterm encodes special keys (arrows, Home,
// End, PgUp/PgDn, F1-F12, keypad, with modifiers) and characters (Ctrl+letter becomes the control
// character, Alt prefixes ESC). Returns false when the key produces nothing (a lone modifier).
bool sendKeyToTerminal(TerminalScreen &screen, const QKeyEvent &event);

// Shift, Alt and Ctrl as libvterm's modifier bits (for keys and mouse reports).
VTermModifier terminalModifiers(Qt::KeyboardModifiers modifiers);

} // namespace Hamlet
