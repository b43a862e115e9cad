#pragma once

#include <cstdint>

class QKeyEvent;

namespace Hamlet {

// The X keysym an RFB server expects for a Qt key event (RFB key events carry X keysyms).
// On X11 the native keysym is used as is; otherwise (Wayland, synthetic events in tests) it is
// derived from Qt's key code and text. Returns 0 when the key has no keysym.
uint32_t keysymForKeyEvent(const QKeyEvent &event);

} // namespace Hamlet
