#include "terminalscreen.h"

#include <algorithm>

namespace Hamlet {

namespace {
// A wide character's second cell carries this marker instead of a character.
constexpr uint32_t wideContinuation = 0xffffffffu;

// The 16 ANSI colours as GNOME Terminal's Tango palette, readable on a dark background.
void setPalette(VTermState *state)
{
    static constexpr QRgb ansi[16] = {0x2e3436, 0xcc0000, 0x4e9a06, 0xc4a000, 0x3465a4, 0x75507b, 0x06989a, 0xd3d7cf,
                                      0x555753, 0xef2929, 0x8ae234, 0xfce94f, 0x729fcf, 0xad7fa8, 0x34e2e2, 0xeeeeec};
    VTermColor color;
    for (int index = 0; index < 16; ++index) {
        vterm_color_rgb(&color, qRed(ansi[index]), qGreen(ansi[index]), qBlue(ansi[index]));
        vterm_state_set_palette_color(state, index, &color);
    }
}

// Colours 16-255 as xterm defines them (a 6x6x6 cube, then a grey ramp): what programs using
// 256 colours are written against. libvterm's own cube uses other steps and cannot be changed.
QColor xtermColor(int index)
{
    static constexpr int cube[6] = {0, 95, 135, 175, 215, 255};
    if (index >= 232) {
        const int grey = 8 + 10 * (index - 232);
        return QColor(grey, grey, grey);
    }
    const int n = index - 16;
    return QColor(cube[n / 36], cube[(n / 6) % 6], cube[n % 6]);
}
} // namespace

TerminalScreen::TerminalScreen(int rows, int cols, QObject *parent)
    : QObject(parent)
    , m_rows(std::max(rows, 1))
    , m_cols(std::max(cols, 1))
{
    m_vterm = vterm_new(m_rows, m_cols);
    vterm_set_utf8(m_vterm, 1);
    vterm_output_set_callback(m_vterm, &TerminalScreen::onOutput, this);
    VTermState *state = vterm_obtain_state(m_vterm);
    VTermColor fg;
    VTermColor bg;
    vterm_color_rgb(&fg, m_defaultFg.red(), m_defaultFg.green(), m_defaultFg.blue());
    vterm_color_rgb(&bg, m_defaultBg.red(), m_defaultBg.green(), m_defaultBg.blue());
    vterm_state_set_default_colors(state, &fg, &bg);
    vterm_state_set_bold_highbright(state, 1);
    setPalette(state);

    m_screen = vterm_obtain_screen(m_vterm);
    static VTermScreenCallbacks callbacks = [] {
        VTermScreenCallbacks c {};
        c.damage = &TerminalScreen::onDamage;
        c.moverect = &TerminalScreen::onMoveRect;
        c.movecursor = &TerminalScreen::onMoveCursor;
        c.settermprop = &TerminalScreen::onSetTermProp;
        c.bell = &TerminalScreen::onBell;
        c.sb_pushline = &TerminalScreen::onPushLine;
        c.sb_popline = &TerminalScreen::onPopLine;
        return c;
    }();
    vterm_screen_set_callbacks(m_screen, &callbacks, this);
    vterm_screen_set_damage_merge(m_screen, VTERM_DAMAGE_SCROLL);
    vterm_screen_enable_altscreen(m_screen, 1);
    vterm_screen_reset(m_screen, 1);
}

TerminalScreen::~TerminalScreen()
{
    vterm_free(m_vterm);
}

void TerminalScreen::feed(const QByteArray &bytes)
{
    vterm_input_write(m_vterm, bytes.constData(), size_t(bytes.size()));
    vterm_screen_flush_damage(m_screen);
    emitChangedIfDirty();
}

void TerminalScreen::resize(int rows, int cols)
{
    rows = std::max(rows, 1);
    cols = std::max(cols, 1);
    if (rows == m_rows && cols == m_cols)
        return;
    m_rows = rows;
    m_cols = cols;
    // libvterm pulls lines back from the scrollback (sb_popline) when the screen grows.
    vterm_set_size(m_vterm, rows, cols);
    vterm_screen_flush_damage(m_screen);
    m_dirty = true;
    emitChangedIfDirty();
}

void TerminalScreen::reset()
{
    m_scrollback.clear();
    vterm_screen_reset(m_screen, 1);
    m_cursorVisible = true;
    m_mouseMode = VTERM_PROP_MOUSE_NONE;
    m_altScreen = false;
    m_dirty = true;
    emitChangedIfDirty();
}

void TerminalScreen::setScrollbackLimit(int lines)
{
    m_scrollbackLimit = std::max(lines, 0);
    while (int(m_scrollback.size()) > m_scrollbackLimit)
        m_scrollback.pop_front();
}

VTermScreenCell TerminalScreen::rawCell(int line, int col) const
{
    VTermScreenCell raw {};
    if (line >= 0) {
        if (line < m_rows && col >= 0 && col < m_cols)
            vterm_screen_get_cell(m_screen, VTermPos {line, col}, &raw);
        return raw;
    }
    const int index = int(m_scrollback.size()) + line;
    if (index >= 0 && col >= 0) {
        const auto &stored = m_scrollback[size_t(index)];
        if (col < int(stored.size()))
            return stored[size_t(col)];
    }
    raw.width = 1;
    vterm_state_get_default_colors(vterm_obtain_state(m_vterm), &raw.fg, &raw.bg);
    return raw;
}

TerminalScreen::Cell TerminalScreen::convert(const VTermScreenCell &raw) const
{
    Cell cell;
    if (raw.chars[0] == wideContinuation) {
        cell.width = 0;
    } else {
        cell.width = static_cast<unsigned char>(raw.width);
        for (int i = 0; i < VTERM_MAX_CHARS_PER_CELL && raw.chars[i]; ++i)
            cell.text += QString::fromUcs4(reinterpret_cast<const char32_t *>(&raw.chars[i]), 1);
    }
    VTermColor fg = raw.fg;
    VTermColor bg = raw.bg;
    cell.defaultBackground = VTERM_COLOR_IS_DEFAULT_BG(&bg);
    const bool defaultFg = VTERM_COLOR_IS_DEFAULT_FG(&fg);
    vterm_screen_convert_color_to_rgb(m_screen, &fg);
    vterm_screen_convert_color_to_rgb(m_screen, &bg);
    cell.foreground = defaultFg ? m_defaultFg : QColor(fg.rgb.red, fg.rgb.green, fg.rgb.blue);
    cell.background = cell.defaultBackground ? m_defaultBg : QColor(bg.rgb.red, bg.rgb.green, bg.rgb.blue);
    if (VTERM_COLOR_IS_INDEXED(&raw.fg) && raw.fg.indexed.idx >= 16 && !defaultFg)
        cell.foreground = xtermColor(raw.fg.indexed.idx);
    if (VTERM_COLOR_IS_INDEXED(&raw.bg) && raw.bg.indexed.idx >= 16 && !cell.defaultBackground)
        cell.background = xtermColor(raw.bg.indexed.idx);
    cell.bold = raw.attrs.bold;
    cell.italic = raw.attrs.italic;
    cell.underline = raw.attrs.underline != VTERM_UNDERLINE_OFF;
    cell.strike = raw.attrs.strike;
    cell.reverse = raw.attrs.reverse;
    return cell;
}

TerminalScreen::Cell TerminalScreen::cell(int line, int col) const
{
    return convert(rawCell(line, col));
}

QString TerminalScreen::lineText(int line, int fromCol, int toCol) const
{
    if (line >= m_rows || line < -scrollbackLines())
        return {};
    const auto history = static_cast<qsizetype>(m_scrollback.size()) + line;
    const int width = line >= 0 ? m_cols : int(m_scrollback[static_cast<size_t>(history)].size());
    if (toCol < 0 || toCol > width)
        toCol = width;
    QString text;
    for (int col = std::max(fromCol, 0); col < toCol; ++col) {
        const VTermScreenCell raw = rawCell(line, col);
        if (raw.chars[0] == wideContinuation)
            continue;
        if (raw.chars[0] == 0) {
            text += QLatin1Char(' ');
            continue;
        }
        for (int i = 0; i < VTERM_MAX_CHARS_PER_CELL && raw.chars[i]; ++i)
            text += QString::fromUcs4(reinterpret_cast<const char32_t *>(&raw.chars[i]), 1);
    }
    while (text.endsWith(QLatin1Char(' ')))
        text.chop(1);
    return text;
}

QString TerminalScreen::screenText() const
{
    QStringList lines;
    for (int row = 0; row < m_rows; ++row)
        lines << lineText(row);
    return lines.join(QLatin1Char('\n'));
}

QPoint TerminalScreen::cursor() const
{
    VTermPos pos;
    vterm_state_get_cursorpos(vterm_obtain_state(m_vterm), &pos);
    return {pos.col, pos.row};
}

void TerminalScreen::sendKey(VTermKey key, VTermModifier modifiers)
{
    vterm_keyboard_key(m_vterm, key, modifiers);
}

void TerminalScreen::sendChar(uint32_t character, VTermModifier modifiers)
{
    vterm_keyboard_unichar(m_vterm, character, modifiers);
}

void TerminalScreen::paste(const QString &text)
{
    QString normalized = text;
    normalized.replace(QStringLiteral("\r\n"), QStringLiteral("\r"));
    normalized.replace(QLatin1Char('\n'), QLatin1Char('\r'));
    // start/end_paste emit ESC[200~ / ESC[201~ only when the program enabled bracketed paste.
    vterm_keyboard_start_paste(m_vterm);
    for (const char32_t c : normalized.toUcs4())
        vterm_keyboard_unichar(m_vterm, uint32_t(c), VTERM_MOD_NONE);
    vterm_keyboard_end_paste(m_vterm);
}

void TerminalScreen::sendMouseMove(int row, int col, VTermModifier modifiers)
{
    vterm_mouse_move(m_vterm, row, col, modifiers);
}

void TerminalScreen::sendMouseButton(int button, bool pressed, VTermModifier modifiers)
{
    vterm_mouse_button(m_vterm, button, pressed, modifiers);
}

void TerminalScreen::emitChangedIfDirty()
{
    if (!m_dirty)
        return;
    m_dirty = false;
    Q_EMIT changed();
}

int TerminalScreen::onDamage(VTermRect, void *user)
{
    static_cast<TerminalScreen *>(user)->m_dirty = true;
    return 1;
}

int TerminalScreen::onMoveRect(VTermRect, VTermRect, void *user)
{
    static_cast<TerminalScreen *>(user)->m_dirty = true;
    return 1;
}

int TerminalScreen::onMoveCursor(VTermPos, VTermPos, int visible, void *user)
{
    auto *self = static_cast<TerminalScreen *>(user);
    self->m_cursorVisible = visible;
    self->m_dirty = true;
    return 1;
}

int TerminalScreen::onSetTermProp(VTermProp prop, VTermValue *value, void *user)
{
    auto *self = static_cast<TerminalScreen *>(user);
    switch (prop) {
    case VTERM_PROP_CURSORVISIBLE:
        self->m_cursorVisible = value->boolean;
        self->m_dirty = true;
        return 1;
    case VTERM_PROP_MOUSE:
        self->m_mouseMode = value->number;
        return 1;
    case VTERM_PROP_ALTSCREEN:
        self->m_altScreen = value->boolean;
        self->m_dirty = true;
        return 1;
    case VTERM_PROP_TITLE:
        self->m_title = QString::fromUtf8(value->string);
        Q_EMIT self->titleChanged(self->m_title);
        return 1;
    default:
        return 0;
    }
}

int TerminalScreen::onBell(void *user)
{
    Q_EMIT static_cast<TerminalScreen *>(user)->bell();
    return 1;
}

int TerminalScreen::onPushLine(int cols, const VTermScreenCell *cells, void *user)
{
    auto *self = static_cast<TerminalScreen *>(user);
    if (self->m_scrollbackLimit == 0)
        return 0;
    self->m_scrollback.emplace_back(cells, cells + cols);
    while (int(self->m_scrollback.size()) > self->m_scrollbackLimit)
        self->m_scrollback.pop_front();
    self->m_dirty = true;
    return 1;
}

int TerminalScreen::onPopLine(int cols, VTermScreenCell *cells, void *user)
{
    auto *self = static_cast<TerminalScreen *>(user);
    if (self->m_scrollback.empty())
        return 0;
    const std::vector<VTermScreenCell> line = std::move(self->m_scrollback.back());
    self->m_scrollback.pop_back();
    VTermScreenCell blank {};
    blank.width = 1;
    vterm_state_get_default_colors(vterm_obtain_state(self->m_vterm), &blank.fg, &blank.bg);
    for (int col = 0; col < cols; ++col)
        cells[col] = col < int(line.size()) ? line[size_t(col)] : blank;
    self->m_dirty = true;
    return 1;
}

void TerminalScreen::onOutput(const char *bytes, size_t length, void *user)
{
    Q_EMIT static_cast<TerminalScreen *>(user)->output(QByteArray(bytes, qsizetype(length)));
}

} // namespace Hamlet
