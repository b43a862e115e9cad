#include "terminalwidget.h"

#include "fdstream.h"
#include "terminalaccessible.h"
#include "terminalkeys.h"
#include "terminalrenderer.h"
#include "terminalscreen.h"

#include <QAccessible>
#include <QApplication>
#include <QClipboard>
#include <QKeyEvent>
#include <QPainter>
#include <QScrollBar>

#include <algorithm>
#include <sys/ioctl.h>

namespace Hamlet {

namespace {
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
    , m_renderer(std::make_unique<TerminalRenderer>())
{
    TerminalAccessible::install();
    setObjectName(QStringLiteral("terminalWidget"));
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    viewport()->setCursor(Qt::IBeamCursor);
    viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    m_cellWidth = m_renderer->cellSize().width();
    m_cellHeight = m_renderer->cellSize().height();

    connect(m_stream, &FdStream::dataReceived, m_screen, &TerminalScreen::feed);
    connect(m_stream, &FdStream::closed, this, &TerminalWidget::onStreamClosed);
    connect(m_screen, &TerminalScreen::output, m_stream, &FdStream::write);
    connect(m_screen, &TerminalScreen::changed, this, &TerminalWidget::onScreenChanged);
    connect(m_screen, &TerminalScreen::titleChanged, this, &TerminalWidget::titleChanged);
    connect(m_screen, &TerminalScreen::bell, this, [] { QApplication::beep(); });
    connect(verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        m_scrollOffset = verticalScrollBar()->maximum() - value;
        viewport()->update();
    });
    updateScrollBar();
}

TerminalWidget::~TerminalWidget() = default;

void TerminalWidget::setFd(int fd)
{
    if (fd >= 0 && fd == m_stream->fd())
        return; // the fd it already shows: keep the session as it is
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
    if (QAccessible::isActive()) { // a screen reader is listening: tell it the screen changed
        QAccessibleValueChangeEvent event(this, m_screen->screenText());
        QAccessible::updateAccessibility(&event);
    }
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
    struct winsize size = {};
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
    // Keys belong to the terminal (Ctrl+W deletes a word in the shell, it does not close a tab),
    // except Ctrl+Shift combinations other than copy and paste: those stay the window's.
    if (event->type() == QEvent::ShortcutOverride) {
        const auto *key = static_cast<QKeyEvent *>(event);
        const auto mods = key->modifiers() & (Qt::ControlModifier | Qt::ShiftModifier);
        const bool windowShortcut
            = mods == (Qt::ControlModifier | Qt::ShiftModifier) && key->key() != Qt::Key_C && key->key() != Qt::Key_V;
        if (!windowShortcut) {
            event->accept();
            return true;
        }
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

namespace {
int terminalButton(Qt::MouseButton button)
{
    switch (button) {
    case Qt::LeftButton:
        return 1;
    case Qt::MiddleButton:
        return 2;
    case Qt::RightButton:
        return 3;
    default:
        return 0;
    }
}
} // namespace

bool TerminalWidget::mouseGoesToProgram(Qt::KeyboardModifiers modifiers) const
{
    // A program that asked for the mouse (htop, mc, vim with mouse=a) gets it; Shift keeps it for
    // selecting text, as in xterm.
    return m_state == State::Live && m_scrollOffset == 0 && m_screen->mouseMode() != VTERM_PROP_MOUSE_NONE
        && !(modifiers & Qt::ShiftModifier);
}

void TerminalWidget::mousePressEvent(QMouseEvent *event)
{
    setFocus(Qt::MouseFocusReason);
    if (mouseGoesToProgram(event->modifiers())) {
        const QPoint at = cellAt(event->position().toPoint());
        const VTermModifier mod = terminalModifiers(event->modifiers());
        m_screen->sendMouseMove(at.y(), at.x(), mod);
        if (const int button = terminalButton(event->button()))
            m_screen->sendMouseButton(button, true, mod);
        return;
    }
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
    if (!m_selecting && mouseGoesToProgram(event->modifiers())) {
        const int mode = m_screen->mouseMode();
        if (mode == VTERM_PROP_MOUSE_MOVE || (mode == VTERM_PROP_MOUSE_DRAG && event->buttons() != Qt::NoButton)) {
            const QPoint at = cellAt(event->position().toPoint());
            m_screen->sendMouseMove(at.y(), at.x(), terminalModifiers(event->modifiers()));
        }
        return;
    }
    if (!m_selecting)
        return;
    m_selectionEnd = cellAt(event->position().toPoint());
    viewport()->update();
}

void TerminalWidget::mouseReleaseEvent(QMouseEvent *event)
{
    if (!m_selecting && mouseGoesToProgram(event->modifiers())) {
        if (const int button = terminalButton(event->button()))
            m_screen->sendMouseButton(button, false, terminalModifiers(event->modifiers()));
        return;
    }
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

void TerminalWidget::wheelEvent(QWheelEvent *event)
{
    const int steps = event->angleDelta().y() / 120;
    if (steps == 0 || m_state != State::Live) {
        QAbstractScrollArea::wheelEvent(event);
        return;
    }
    if (mouseGoesToProgram(event->modifiers())) {
        const QPoint at = cellAt(event->position().toPoint());
        const VTermModifier mod = terminalModifiers(event->modifiers());
        m_screen->sendMouseMove(at.y(), at.x(), mod);
        for (int i = 0; i < std::abs(steps); ++i)
            m_screen->sendMouseButton(steps > 0 ? 4 : 5, true, mod);
        return;
    }
    if (m_screen->altScreen() && m_scrollOffset == 0) {
        // A full-screen program (less, man, vim) has no scrollback here: scroll it by lines,
        // as other terminals do.
        for (int i = 0; i < 3 * std::abs(steps); ++i)
            m_screen->sendKey(steps > 0 ? VTERM_KEY_UP : VTERM_KEY_DOWN, VTERM_MOD_NONE);
        return;
    }
    QAbstractScrollArea::wheelEvent(event);
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
    TerminalRenderer::View view;
    view.scrollOffset = m_scrollOffset;
    view.focused = hasFocus();
    view.showCursor = m_state == State::Live;
    view.isSelected = [this](int line, int col) { return isSelected(line, col); };
    m_renderer->paint(painter, *m_screen, view);
    if (m_state == State::Closed)
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

} // namespace Hamlet
