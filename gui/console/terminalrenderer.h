#pragma once

#include <QFont>
#include <QSize>

#include <functional>

class QPainter;

namespace Hamlet {

class TerminalScreen;

// Draws a TerminalScreen in a monospace font: per-cell colours (16, 256 and 24-bit, already
// resolved by TerminalScreen), bold, italic, underline, strike-through, reverse video, wide
// characters, the selection and the cursor. It owns the font and so the cell size, which the
// widget uses to turn pixels into rows and columns.
class TerminalRenderer
{
public:
    struct View {
        int scrollOffset = 0; // lines scrolled back into history
        bool focused = false; // a solid cursor when focused, an outline when not
        bool showCursor = true;
        std::function<bool(int line, int col)> isSelected;
    };

    TerminalRenderer();

    QSize cellSize() const { return {m_cellWidth, m_cellHeight}; }
    void paint(QPainter &painter, const TerminalScreen &screen, const View &view) const;

private:
    void paintRow(QPainter &painter, const TerminalScreen &screen, const View &view, int row) const;
    void paintCursor(QPainter &painter, const TerminalScreen &screen, const View &view) const;

    QFont m_font;
    QFont m_boldFont;
    int m_cellWidth = 8;
    int m_cellHeight = 16;
    int m_ascent = 12;
};

} // namespace Hamlet
