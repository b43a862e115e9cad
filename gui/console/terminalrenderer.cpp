#include "terminalrenderer.h"

#include "terminalscreen.h"

#include <QFontDatabase>
#include <QFontMetrics>
#include <QPainter>

#include <algorithm>

namespace Hamlet {

TerminalRenderer::TerminalRenderer()
{
    m_font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_font.setStyleHint(QFont::TypeWriter);
    m_font.setFixedPitch(true);
    m_font.setKerning(false);
    m_boldFont = m_font;
    m_boldFont.setBold(true);
    const QFontMetrics metrics(m_font);
    m_cellWidth = std::max(1, metrics.horizontalAdvance(QLatin1Char('M')));
    m_cellHeight = std::max(1, metrics.height());
    m_ascent = metrics.ascent();
}

void TerminalRenderer::paint(QPainter &painter, const TerminalScreen &screen, const View &view) const
{
    for (int row = 0; row < screen.rows(); ++row)
        paintRow(painter, screen, view, row);
    if (view.showCursor)
        paintCursor(painter, screen, view);
}

void TerminalRenderer::paintRow(QPainter &painter, const TerminalScreen &screen, const View &view, int row) const
{
    const int line = row - view.scrollOffset;
    const int y = row * m_cellHeight;
    // Each glyph goes at its own cell position: a run of text drawn in one call would drift
    // whenever the font's advance is not a whole number of pixels.
    for (int col = 0; col < screen.cols(); ++col) {
        const TerminalScreen::Cell cell = screen.cell(line, col);
        if (cell.width == 0)
            continue; // second half of a wide character, drawn with the first
        QColor foreground = cell.foreground;
        QColor background = cell.background;
        if (cell.reverse != (view.isSelected && view.isSelected(line, col)))
            std::swap(foreground, background);
        const QRect rect(col * m_cellWidth, y, std::max(cell.width, 1) * m_cellWidth, m_cellHeight);
        if (background != screen.defaultBackground())
            painter.fillRect(rect, background);
        if (!cell.text.isEmpty() && cell.text != QStringLiteral(" ")) {
            QFont font = cell.bold ? m_boldFont : m_font;
            font.setItalic(cell.italic);
            painter.setFont(font);
            painter.setPen(foreground);
            painter.drawText(QPoint(rect.left(), y + m_ascent), cell.text);
        }
        if (cell.underline)
            painter.fillRect(QRect(rect.left(), y + m_ascent + 1, rect.width(), 1), foreground);
        if (cell.strike)
            painter.fillRect(QRect(rect.left(), y + m_ascent / 2 + 1, rect.width(), 1), foreground);
    }
}

void TerminalRenderer::paintCursor(QPainter &painter, const TerminalScreen &screen, const View &view) const
{
    if (view.scrollOffset != 0 || !screen.cursorVisible())
        return;
    const QPoint at = screen.cursor();
    const QRect rect(at.x() * m_cellWidth, at.y() * m_cellHeight, m_cellWidth, m_cellHeight);
    const TerminalScreen::Cell cell = screen.cell(at.y(), at.x());
    if (!view.focused) {
        painter.setPen(cell.foreground);
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(rect.adjusted(0, 0, -1, -1));
        return;
    }
    painter.fillRect(rect, cell.reverse ? cell.background : cell.foreground);
    if (!cell.text.isEmpty()) {
        painter.setFont(cell.bold ? m_boldFont : m_font);
        painter.setPen(cell.reverse ? cell.foreground : cell.background);
        painter.drawText(QPoint(rect.left(), rect.top() + m_ascent), cell.text);
    }
}

} // namespace Hamlet
