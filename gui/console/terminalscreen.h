#pragma once

#include <QByteArray>
#include <QColor>
#include <QObject>
#include <QPoint>
#include <QString>

#include <deque>
#include <vector>
#include <vterm.h>

namespace Hamlet {

// The terminal's state: a libvterm instance (the VT parser and screen) plus a bounded scrollback
// of the lines that scrolled off the top. It knows nothing about fds or widgets: bytes from the
// console go in through feed(), bytes for the console (typed keys, paste, replies to queries)
// come out of output(). Line numbers: 0..rows()-1 are the screen, -1..-scrollbackLines() are
// history, -1 the most recent.
class TerminalScreen : public QObject
{
    Q_OBJECT
public:
    struct Cell {
        QString text; // empty for a blank cell
        int width = 1; // 2 for the first half of a wide character, 0 for its second half
        QColor foreground;
        QColor background;
        bool defaultBackground = true;
        bool bold = false;
        bool italic = false;
        bool underline = false;
        bool strike = false;
        bool reverse = false;
    };

    TerminalScreen(int rows, int cols, QObject *parent = nullptr);
    ~TerminalScreen() override;

    void feed(const QByteArray &bytes);
    void resize(int rows, int cols);
    // A fresh terminal: screen, modes and scrollback cleared (a new console session).
    void reset();

    int rows() const { return m_rows; }
    int cols() const { return m_cols; }
    int scrollbackLines() const { return int(m_scrollback.size()); }
    int scrollbackLimit() const { return m_scrollbackLimit; }
    void setScrollbackLimit(int lines);

    Cell cell(int line, int col) const;
    // The characters of a line from fromCol up to (excluding) toCol, trailing blanks dropped.
    QString lineText(int line, int fromCol = 0, int toCol = -1) const;
    // The visible screen, one line per row, trailing blanks dropped.
    QString screenText() const;

    QPoint cursor() const; // x = column, y = row
    bool cursorVisible() const { return m_cursorVisible; }
    QString title() const { return m_title; }
    // What the program asked of the mouse (VTERM_PROP_MOUSE_*: none, clicks, drags, all moves).
    int mouseMode() const { return m_mouseMode; }
    // Whether the program (less, vim, top) switched to the alternate screen.
    bool altScreen() const { return m_altScreen; }
    QColor defaultForeground() const { return m_defaultFg; }
    QColor defaultBackground() const { return m_defaultBg; }

    void sendKey(VTermKey key, VTermModifier modifiers);
    void sendChar(uint32_t character, VTermModifier modifiers);
    // Sends text as a paste: wrapped in bracketed-paste markers when the program asked for them,
    // line breaks sent as carriage returns like a typed Enter.
    void paste(const QString &text);
    // Mouse reports for programs that asked for them; rows and columns are 0-based, button 1-3
    // are left, middle, right and 4/5 the wheel.
    void sendMouseMove(int row, int col, VTermModifier modifiers);
    void sendMouseButton(int button, bool pressed, VTermModifier modifiers);

Q_SIGNALS:
    void output(const QByteArray &bytes);
    void changed();
    void titleChanged(const QString &title);
    void bell();

private:
    static int onDamage(VTermRect rect, void *user);
    static int onMoveRect(VTermRect dest, VTermRect src, void *user);
    static int onMoveCursor(VTermPos pos, VTermPos oldpos, int visible, void *user);
    static int onSetTermProp(VTermProp prop, VTermValue *value, void *user);
    static int onBell(void *user);
    static int onPushLine(int cols, const VTermScreenCell *cells, void *user);
    static int onPopLine(int cols, VTermScreenCell *cells, void *user);
    static void onOutput(const char *bytes, size_t length, void *user);

    Cell convert(const VTermScreenCell &raw) const;
    VTermScreenCell rawCell(int line, int col) const;
    void emitChangedIfDirty();

    VTerm *m_vterm = nullptr;
    VTermScreen *m_screen = nullptr;
    int m_rows;
    int m_cols;
    std::deque<std::vector<VTermScreenCell>> m_scrollback;
    int m_scrollbackLimit = 10000;
    bool m_cursorVisible = true;
    int m_mouseMode = VTERM_PROP_MOUSE_NONE;
    bool m_altScreen = false;
    bool m_dirty = false;
    QString m_title;
    QColor m_defaultFg {0xd0, 0xd0, 0xd0};
    QColor m_defaultBg {0x1e, 0x1e, 0x1e};
};

} // namespace Hamlet
