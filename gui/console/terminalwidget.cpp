#include "terminalwidget.h"

#include "fdstream.h"
#include "terminalkeys.h"
#include "terminalscreen.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QKeyEvent>
#include <QPainter>
#include <QScrollBar>

#include <algorithm>
#include <sys/ioctl.h>

namespace Hamlet {

namespace {
struct Style {
    QColor foreground;
    QColor background;
    bool bold = false;
    bool italic = false;
    bool underline = false;
    bool strike = false;
};

bool before(QPoint a, QPoint b) // flow order: line (y) first, then column (x)
{
    return a.y() < b.y() || (a.y() == b.y() && a.x() < b.x());
}
} // namespace

TerminalWidget::TerminalWidget(QWidget *parent)
    : QAbstractScrollArea(parent)
    , m_stream(new FdStream(this))
    , m_screen(new TerminalScreen(24, 80, this))
    , m_placeholder(tr("No console: the instance is not running."))
{
    setObjectName(QStringLiteral("terminalWidget"));
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    viewport()->setCursor(Qt::IBeamCursor);
    viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

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

    connect(m_stream, &FdStream::dataReceived, m_screen, &TerminalScreen::feed);
    connect(m_stream, &FdStream::closed, this, &TerminalWidget::onStreamClosed);
    connect(m_screen, &TerminalScreen::output, m_stream, &FdStream::write);
    connect(m_screen, &TerminalScreen::changed, this, &TerminalWidget::onScreenChanged);
    connect(m_screen, &TerminalScreen::titleChanged, this, &TerminalWidget::titleChanged);
    connect(verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        m_scrollOffset = verticalScrollBar()->maximum() - value;
        viewport()->update();
    });
    updateScrollBar();
}

TerminalWidget::~TerminalWidget() = default;

void TerminalWidget::setFd(int fd)
{
    m_stream->setFd(fd);
    m_screen->reset();
    m_hasSelection = false;
    m_scrollOffset = 0;
    m_state = fd >= 0 ? State::Live : State::NoConsole;
    m_closedReason.clear();
    updateGeometryFromViewport();
    applyWindowSize();
    updateScrollBar();
    viewport()->update();
}

void TerminalWidget::closeFd()
{
    setFd(-1);
}

bool TerminalWidget::isConnected() const
{
    return m_state == State::Live && m_stream->isOpen();
}

QString TerminalWidget::screenText() const
{
    return m_screen->screenText();
}

QString TerminalWidget::statusText() const
{
    switch (m_state) {
    case State::NoConsole:
        return m_placeholder;
    case State::Closed:
        return tr("Console closed: %1").arg(m_closedReason);
    case State::Live:
        break;
    }
    return {};
}

void TerminalWidget::setPlaceholderText(const QString &text)
{
    m_placeholder = text;
    viewport()->update();
}

int TerminalWidget::rows() const
{
    return m_screen->rows();
}

int TerminalWidget::columns() const
{
    return m_screen->cols();
}

void TerminalWidget::setScrollbackLimit(int lines)
{
    m_screen->setScrollbackLimit(lines);
    updateScrollBar();
}

void TerminalWidget::scrollToBottom()
{
    m_scrollOffset = 0;
    updateScrollBar();
    viewport()->update();
}

void TerminalWidget::onStreamClosed(const QString &reason)
{
    m_state = State::Closed;
    m_closedReason = reason;
    viewport()->update();
    Q_EMIT closed();
}

void TerminalWidget::onScreenChanged()
{
    // While the user reads history, keep the same lines in view as new output pushes more.
    const int grown = m_screen->scrollbackLines() - m_lastScrollback;
    if (m_scrollOffset > 0 && grown > 0)
        m_scrollOffset = std::min(m_scrollOffset + grown, m_screen->scrollbackLines());
    updateScrollBar();
    viewport()->update();
}

void TerminalWidget::updateScrollBar()
{
    m_lastScrollback = m_screen->scrollbackLines();
    m_scrollOffset = std::clamp(m_scrollOffset, 0, m_lastScrollback);
    QScrollBar *bar = verticalScrollBar();
    const QSignalBlocker blocker(bar);
    bar->setRange(0, m_lastScrollback);
    bar->setPageStep(m_screen->rows());
    bar->setSingleStep(3);
    bar->setValue(m_lastScrollback - m_scrollOffset);
}

void TerminalWidget::updateGeometryFromViewport()
{
    const int cols = std::max(2, viewport()->width() / m_cellWidth);
    const int rows = std::max(1, viewport()->height() / m_cellHeight);
    if (rows == m_screen->rows() && cols == m_screen->cols())
        return;
    m_screen->resize(rows, cols);
    applyWindowSize();
    updateScrollBar();
}

void TerminalWidget::applyWindowSize()
{
    // Only a pty has a window size; a serial console socket has none (the guest's getty keeps
    // its own idea, which `stty rows/cols` inside the guest can set).
    if (!m_stream->isOpen() || !m_stream->isTty())
        return;
    struct winsize size {
    };
    size.ws_row = static_cast<unsigned short>(m_screen->rows());
    size.ws_col = static_cast<unsigned short>(m_screen->cols());
    size.ws_xpixel = static_cast<unsigned short>(m_screen->cols() * m_cellWidth);
    size.ws_ypixel = static_cast<unsigned short>(m_screen->rows() * m_cellHeight);
    ioctl(m_stream->fd(), TIOCSWINSZ, &size); // the kernel sends SIGWINCH to the foreground job
}

void TerminalWidget::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    updateGeometryFromViewport();
}

void TerminalWidget::scrollContentsBy(int, int)
{
    viewport()->update(); // rows are drawn from m_scrollOffset, nothing to move
}

bool TerminalWidget::focusNextPrevChild(bool)
{
    return false; // Tab belongs to the shell (completion), not to focus navigation
}

bool TerminalWidget::event(QEvent *event)
{
    // Keep Ctrl+Shift+C/V and friends from being eaten as application shortcuts.
    if (event->type() == QEvent::ShortcutOverride) {
        event->accept();
        return true;
    }
    return QAbstractScrollArea::event(event);
}

void TerminalWidget::keyPressEvent(QKeyEvent *event)
{
    const auto mods = event->modifiers() & (Qt::ShiftModifier | Qt::ControlModifier | Qt::AltModifier);
    if (mods == (Qt::ControlModifier | Qt::ShiftModifier) && event->key() == Qt::Key_C) {
        copy();
        return;
    }
    if (mods == (Qt::ControlModifier | Qt::ShiftModifier) && event->key() == Qt::Key_V) {
        paste();
        return;
    }
    if (mods == Qt::ShiftModifier && (event->key() == Qt::Key_PageUp || event->key() == Qt::Key_PageDown)) {
        QScrollBar *bar = verticalScrollBar();
        bar->setValue(bar->value() + (event->key() == Qt::Key_PageUp ? -1 : 1) * bar->pageStep());
        return;
    }
    if (m_state != State::Live) {
        QAbstractScrollArea::keyPressEvent(event);
        return;
    }
    if (sendKeyToTerminal(*m_screen, *event)) {
        m_hasSelection = false;
        scrollToBottom();
    }
}

QPoint TerminalWidget::cellAt(const QPoint &pos) const
{
    const int col = std::clamp(pos.x() / m_cellWidth, 0, m_screen->cols());
    const int row = std::clamp(pos.y() / m_cellHeight, 0, m_screen->rows() - 1);
    return {col, row - m_scrollOffset};
}

bool TerminalWidget::isSelected(int line, int col) const
{
    if (!m_hasSelection)
        return false;
    const QPoint start = before(m_selectionEnd, m_selectionAnchor) ? m_selectionEnd : m_selectionAnchor;
    const QPoint end = before(m_selectionEnd, m_selectionAnchor) ? m_selectionAnchor : m_selectionEnd;
    const QPoint here(col, line);
    return !before(here, start) && before(here, end);
}

QString TerminalWidget::selectedText() const
{
    if (!m_hasSelection || m_selectionAnchor == m_selectionEnd)
        return {};
    const QPoint start = before(m_selectionEnd, m_selectionAnchor) ? m_selectionEnd : m_selectionAnchor;
    const QPoint end = before(m_selectionEnd, m_selectionAnchor) ? m_selectionAnchor : m_selectionEnd;
    QStringList lines;
    for (int line = start.y(); line <= end.y(); ++line) {
        if (line < -m_screen->scrollbackLines() || line >= m_screen->rows())
            continue;
        const int from = line == start.y() ? start.x() : 0;
        const int to = line == end.y() ? end.x() : -1;
        lines << m_screen->lineText(line, from, to);
    }
    return lines.join(QLatin1Char('\n'));
}

void TerminalWidget::selectAll()
{
    m_selectionAnchor = QPoint(0, -m_screen->scrollbackLines());
    m_selectionEnd = QPoint(m_screen->cols(), m_screen->rows() - 1);
    m_hasSelection = true;
    viewport()->update();
}

void TerminalWidget::copy() const
{
    const QString text = selectedText();
    if (!text.isEmpty())
        QApplication::clipboard()->setText(text);
}

void TerminalWidget::paste()
{
    const QString text = QApplication::clipboard()->text();
    if (m_state != State::Live || text.isEmpty())
        return;
    m_screen->paste(text);
    scrollToBottom();
}

void TerminalWidget::mousePressEvent(QMouseEvent *event)
{
    setFocus(Qt::MouseFocusReason);
    if (event->button() == Qt::LeftButton) {
        m_selecting = true;
        m_hasSelection = true;
        m_selectionAnchor = m_selectionEnd = cellAt(event->position().toPoint());
        viewport()->update();
    } else if (event->button() == Qt::MiddleButton && m_state == State::Live) {
        const QString text = QApplication::clipboard()->text(QClipboard::Selection);
        if (!text.isEmpty())
            m_screen->paste(text);
    }
}

void TerminalWidget::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_selecting)
        return;
    m_selectionEnd = cellAt(event->position().toPoint());
    viewport()->update();
}

void TerminalWidget::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton || !m_selecting)
        return;
    m_selecting = false;
    m_selectionEnd = cellAt(event->position().toPoint());
    m_hasSelection = m_selectionEnd != m_selectionAnchor;
    if (m_hasSelection && QApplication::clipboard()->supportsSelection())
        QApplication::clipboard()->setText(selectedText(), QClipboard::Selection);
    viewport()->update();
}

void TerminalWidget::mouseDoubleClickEvent(QMouseEvent *event)
{
    // Select the word under the pointer: the run of non-blank characters around it.
    const QPoint at = cellAt(event->position().toPoint());
    const QString line = m_screen->lineText(at.y());
    if (at.x() >= line.size() || line.at(at.x()).isSpace())
        return;
    int from = at.x();
    int to = at.x();
    while (from > 0 && !line.at(from - 1).isSpace())
        --from;
    while (to < line.size() && !line.at(to).isSpace())
        ++to;
    m_selectionAnchor = QPoint(from, at.y());
    m_selectionEnd = QPoint(to, at.y());
    m_hasSelection = true;
    m_selecting = false;
    if (QApplication::clipboard()->supportsSelection())
        QApplication::clipboard()->setText(selectedText(), QClipboard::Selection);
    viewport()->update();
}

void TerminalWidget::focusInEvent(QFocusEvent *event)
{
    QAbstractScrollArea::focusInEvent(event);
    viewport()->update();
}

void TerminalWidget::focusOutEvent(QFocusEvent *event)
{
    QAbstractScrollArea::focusOutEvent(event);
    viewport()->update();
}

void TerminalWidget::paintEvent(QPaintEvent *)
{
    QPainter painter(viewport());
    painter.fillRect(viewport()->rect(), m_screen->defaultBackground());
    if (m_state == State::NoConsole) {
        paintPlaceholder(painter, m_placeholder);
        return;
    }
    for (int row = 0; row < m_screen->rows(); ++row)
        paintRow(painter, row);
    if (m_state == State::Live)
        paintCursor(painter);
    else
        paintPlaceholder(painter, statusText());
}

void TerminalWidget::paintPlaceholder(QPainter &painter, const QString &text)
{
    // Over an empty terminal the message sits in the middle; over a closed console's last screen
    // it is a bar along the bottom, so the final output stays readable.
    QFont font = this->font();
    font.setPointSizeF(font.pointSizeF() * 1.1);
    painter.setFont(font);
    if (m_state == State::NoConsole) {
        painter.setPen(QColor(0xa0, 0xa0, 0xa0));
        painter.drawText(viewport()->rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap, text);
        return;
    }
    const int height = QFontMetrics(font).height() * 2;
    const QRect bar(0, viewport()->height() - height, viewport()->width(), height);
    painter.fillRect(bar, QColor(0x5a, 0x1e, 0x1e, 230));
    painter.setPen(Qt::white);
    painter.drawText(bar.adjusted(12, 0, -12, 0), Qt::AlignVCenter | Qt::AlignLeft | Qt::TextWordWrap, text);
}

void TerminalWidget::paintRow(QPainter &painter, int row) const
{
    const int line = row - m_scrollOffset;
    const int y = row * m_cellHeight;
    // Each glyph goes at its own cell position: a run of text drawn in one call would drift
    // whenever the font's advance is not a whole number of pixels.
    for (int col = 0; col < m_screen->cols(); ++col) {
        const TerminalScreen::Cell cell = m_screen->cell(line, col);
        if (cell.width == 0)
            continue; // second half of a wide character, drawn with the first
        Style style {cell.foreground, cell.background, cell.bold, cell.italic, cell.underline, cell.strike};
        if (cell.reverse != isSelected(line, col))
            std::swap(style.foreground, style.background);
        const QRect rect(col * m_cellWidth, y, std::max(cell.width, 1) * m_cellWidth, m_cellHeight);
        if (style.background != m_screen->defaultBackground())
            painter.fillRect(rect, style.background);
        if (!cell.text.isEmpty() && cell.text != QStringLiteral(" ")) {
            QFont font = style.bold ? m_boldFont : m_font;
            font.setItalic(style.italic);
            painter.setFont(font);
            painter.setPen(style.foreground);
            painter.drawText(QPoint(rect.left(), y + m_ascent), cell.text);
        }
        if (style.underline)
            painter.fillRect(QRect(rect.left(), y + m_ascent + 1, rect.width(), 1), style.foreground);
        if (style.strike)
            painter.fillRect(QRect(rect.left(), y + m_ascent / 2 + 1, rect.width(), 1), style.foreground);
    }
}

void TerminalWidget::paintCursor(QPainter &painter) const
{
    if (m_scrollOffset != 0 || !m_screen->cursorVisible())
        return;
    const QPoint at = m_screen->cursor();
    const QRect rect(at.x() * m_cellWidth, at.y() * m_cellHeight, m_cellWidth, m_cellHeight);
    const TerminalScreen::Cell cell = m_screen->cell(at.y(), at.x());
    if (!hasFocus()) {
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
