#pragma once

#include <QAbstractScrollArea>
#include <QPoint>

#include <memory>

namespace Hamlet {

class FdStream;
class TerminalRenderer;
class TerminalScreen;

// A terminal for a console fd: a tty container's pty master or a VM's serial-console socket.
// libvterm does the VT parsing (TerminalScreen); this widget draws the screen and scrollback,
// turns keys, mouse selection and paste into bytes, and keeps the pty's window size in step with
// the widget (TIOCSWINSZ, so `stty size` inside follows). The fd is owned: setFd() takes it,
// closeFd() or the destructor closes it; when the other side ends the widget says so and emits
// closed(). With no fd it shows placeholderText() instead of an empty black box.
class TerminalWidget : public QAbstractScrollArea
{
    Q_OBJECT
public:
    explicit TerminalWidget(QWidget *parent = nullptr);
    ~TerminalWidget() override;

    // Takes ownership of fd and starts a fresh terminal session on it (any previous fd is closed).
    // Use it again with a new fd to reconnect, e.g. after the instance restarted.
    void setFd(int fd);
    // Closes the fd (if any) and shows the placeholder. Not QWidget::close(): the widget stays.
    void closeFd();
    bool isConnected() const;

    // The visible screen as text, one line per row (read from libvterm's screen).
    QString screenText() const;
    // What the widget says instead of (or over) a terminal: the placeholder when there is no fd,
    // the reason when the console closed, empty while connected.
    QString statusText() const;
    void setPlaceholderText(const QString &text);
    QString placeholderText() const { return m_placeholder; }

    int rows() const;
    int columns() const;
    // The libvterm-backed screen: cells with colours and attributes (tests, accessibility).
    const TerminalScreen *screen() const { return m_screen; }
    void setScrollbackLimit(int lines);
    // Lines scrolled back from the live screen (0 = following the output).
    int scrollOffset() const { return m_scrollOffset; }
    void scrollToBottom();

    QString selectedText() const;
    void selectAll();
    void copy() const;
    void paste();

Q_SIGNALS:
    // The other side of the fd went away (EOF, HUP, the console's process ended).
    void closed();
    void titleChanged(const QString &title);

protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void focusInEvent(QFocusEvent *event) override;
    void focusOutEvent(QFocusEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;
    bool focusNextPrevChild(bool next) override;

private:
    enum class State { NoConsole, Live, Closed };

    void updateGeometryFromViewport();
    void applyWindowSize();
    void updateScrollBar();
    void onScreenChanged();
    void onStreamClosed(const QString &reason);
    QPoint cellAt(const QPoint &viewportPos) const; // x = column, y = screen line (may be < 0)
    bool isSelected(int line, int col) const;
    bool mouseGoesToProgram(Qt::KeyboardModifiers modifiers) const;
    void paintPlaceholder(QPainter &painter, const QString &text);

    FdStream *m_stream;
    TerminalScreen *m_screen;
    State m_state = State::NoConsole;
    QString m_placeholder;
    QString m_closedReason;
    std::unique_ptr<TerminalRenderer> m_renderer;
    int m_cellWidth = 8;
    int m_cellHeight = 16;
    int m_scrollOffset = 0;
    int m_lastScrollback = 0;
    bool m_selecting = false;
    bool m_hasSelection = false;
    QPoint m_selectionAnchor;
    QPoint m_selectionEnd;
};

} // namespace Hamlet
