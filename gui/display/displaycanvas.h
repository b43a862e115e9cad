#pragma once

#include <QHash>
#include <QImage>
#include <QWidget>

namespace Hamlet {

class RfbSession;

// Draws the VM's framebuffer (scaled to fit with its aspect ratio kept, or 1:1) and sends the
// keyboard and pointer to the session. A click grabs the keyboard so the window manager's
// shortcuts reach the guest too; pressing Ctrl+Alt together releases it (and so does leaving
// the window). With no frame it shows message() instead.
class DisplayCanvas : public QWidget
{
    Q_OBJECT
public:
    explicit DisplayCanvas(RfbSession *session, QWidget *parent = nullptr);

    void setFrame(const QImage &frame);
    QImage frame() const { return m_frame; }
    void clearFrame();
    void setMessage(const QString &message);
    QString message() const { return m_message; }
    void setScaleToFit(bool fit);
    bool scaleToFit() const { return m_scaleToFit; }

    bool isInputGrabbed() const { return m_grabbed; }
    void grabInput();
    void releaseInput();
    // Presses and releases keysyms in order, then releases them in reverse (a key chord).
    void sendChord(const QList<uint32_t> &keysyms);

    // Where the frame is drawn inside the widget, and the frame pixel under a widget position.
    QRect frameRect() const;
    QPoint framePosition(const QPointF &widgetPos) const;

    QSize sizeHint() const override;

Q_SIGNALS:
    void inputGrabChanged(bool grabbed);

protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void keyReleaseEvent(QKeyEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void focusOutEvent(QFocusEvent *event) override;
    void hideEvent(QHideEvent *event) override;
    bool focusNextPrevChild(bool next) override;

private:
    static int buttonMaskOf(Qt::MouseButtons buttons);
    void sendPointer(const QPointF &pos, Qt::MouseButtons buttons);
    void releasePressedKeys();

    RfbSession *m_session;
    QImage m_frame;
    QString m_message;
    bool m_scaleToFit = true;
    bool m_grabbed = false;
    QPoint m_lastPointer;
    QHash<int, uint32_t> m_pressedKeys; // Qt key (or native scan code) -> keysym sent as down
};

} // namespace Hamlet
