#include "displaycanvas.h"

#include "keysyms.h"
#include "rfbsession.h"

#include <QKeyEvent>
#include <QPainter>

#include <algorithm>

namespace Hamlet {

namespace {
// RFB pointer buttons: 1 left, 2 middle, 3 right, 4/5 wheel up/down, 6/7 wheel left/right.
constexpr int wheelUp = 1 << 3;
constexpr int wheelDown = 1 << 4;
constexpr int wheelLeft = 1 << 5;
constexpr int wheelRight = 1 << 6;

int keyIdentity(const QKeyEvent &event)
{
    // The scan code names the physical key, so a release matches its press even if Shift
    // changed in between (Shift+a pressed, Shift released, a released).
    return event.nativeScanCode() != 0 ? int(event.nativeScanCode()) | (1 << 30) : event.key();
}
} // namespace

DisplayCanvas::DisplayCanvas(RfbSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
{
    setObjectName(QStringLiteral("displayCanvas"));
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setCursor(Qt::CrossCursor);
}

void DisplayCanvas::setFrame(const QImage &frame)
{
    const bool resized = frame.size() != m_frame.size();
    m_frame = frame;
    if (resized) {
        setMinimumSize(m_scaleToFit ? QSize(0, 0) : m_frame.size());
        updateGeometry();
    }
    update();
}

void DisplayCanvas::clearFrame()
{
    releaseInput();
    m_frame = QImage();
    setMinimumSize(QSize(0, 0));
    update();
}

void DisplayCanvas::setMessage(const QString &message)
{
    m_message = message;
    update();
}

void DisplayCanvas::setScaleToFit(bool fit)
{
    m_scaleToFit = fit;
    setMinimumSize(fit || m_frame.isNull() ? QSize(0, 0) : m_frame.size());
    updateGeometry();
    update();
}

QSize DisplayCanvas::sizeHint() const
{
    return m_frame.isNull() || m_scaleToFit ? QSize(640, 480) : m_frame.size();
}

QRect DisplayCanvas::frameRect() const
{
    if (m_frame.isNull())
        return {};
    QSize size = m_frame.size();
    if (m_scaleToFit)
        size.scale(this->size(), Qt::KeepAspectRatio);
    return QRect(QPoint(std::max(0, (width() - size.width()) / 2), std::max(0, (height() - size.height()) / 2)), size);
}

QPoint DisplayCanvas::framePosition(const QPointF &widgetPos) const
{
    const QRect target = frameRect();
    if (target.isEmpty())
        return {};
    const double x = (widgetPos.x() - target.left()) * m_frame.width() / target.width();
    const double y = (widgetPos.y() - target.top()) * m_frame.height() / target.height();
    return {std::clamp(int(x), 0, m_frame.width() - 1), std::clamp(int(y), 0, m_frame.height() - 1)};
}

void DisplayCanvas::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), QColor(0x20, 0x20, 0x20));
    if (m_frame.isNull()) {
        painter.setPen(QColor(0xb0, 0xb0, 0xb0));
        painter.drawText(rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap, m_message);
        return;
    }
    const QRect target = frameRect();
    painter.setRenderHint(QPainter::SmoothPixmapTransform, target.size() != m_frame.size());
    painter.drawImage(target, m_frame);
    if (m_grabbed) {
        painter.setPen(QPen(palette().highlight().color(), 2));
        painter.drawRect(target.adjusted(1, 1, -1, -1));
    }
}

bool DisplayCanvas::event(QEvent *event)
{
    // While the VM has the keyboard, the application's own shortcuts must not fire.
    if (event->type() == QEvent::ShortcutOverride && !m_frame.isNull() && hasFocus()) {
        event->accept();
        return true;
    }
    return QWidget::event(event);
}

bool DisplayCanvas::focusNextPrevChild(bool next)
{
    return m_frame.isNull() ? QWidget::focusNextPrevChild(next) : false; // Tab goes to the guest
}

void DisplayCanvas::grabInput()
{
    if (m_grabbed || m_frame.isNull())
        return;
    m_grabbed = true;
    setFocus(Qt::MouseFocusReason);
    grabKeyboard();
    update();
    Q_EMIT inputGrabChanged(true);
}

void DisplayCanvas::releaseInput()
{
    releasePressedKeys();
    if (!m_grabbed)
        return;
    m_grabbed = false;
    releaseKeyboard();
    update();
    Q_EMIT inputGrabChanged(false);
}

void DisplayCanvas::releasePressedKeys()
{
    // Whatever the guest saw go down must come up, or it keeps a stuck Ctrl or Alt.
    for (const uint32_t keysym : std::as_const(m_pressedKeys))
        m_session->sendKey(keysym, false);
    m_pressedKeys.clear();
}

void DisplayCanvas::sendChord(const QList<uint32_t> &keysyms)
{
    for (const uint32_t keysym : keysyms)
        m_session->sendKey(keysym, true);
    for (auto it = keysyms.crbegin(); it != keysyms.crend(); ++it)
        m_session->sendKey(*it, false);
}

void DisplayCanvas::keyPressEvent(QKeyEvent *event)
{
    if (m_frame.isNull()) {
        QWidget::keyPressEvent(event);
        return;
    }
    const bool ctrlAlt = (event->key() == Qt::Key_Control && (event->modifiers() & Qt::AltModifier))
        || (event->key() == Qt::Key_Alt && (event->modifiers() & Qt::ControlModifier));
    if (m_grabbed && ctrlAlt) {
        releaseInput();
        return;
    }
    const uint32_t keysym = keysymForKeyEvent(*event);
    if (keysym == 0)
        return;
    m_pressedKeys.insert(keyIdentity(*event), keysym);
    m_session->sendKey(keysym, true);
}

void DisplayCanvas::keyReleaseEvent(QKeyEvent *event)
{
    if (m_frame.isNull() || event->isAutoRepeat())
        return;
    const auto it = m_pressedKeys.constFind(keyIdentity(*event));
    if (it == m_pressedKeys.constEnd())
        return; // its press went elsewhere (or released the grab)
    m_session->sendKey(it.value(), false);
    m_pressedKeys.erase(it);
}

int DisplayCanvas::buttonMaskOf(Qt::MouseButtons buttons)
{
    int mask = 0;
    if (buttons & Qt::LeftButton)
        mask |= 1;
    if (buttons & Qt::MiddleButton)
        mask |= 2;
    if (buttons & Qt::RightButton)
        mask |= 4;
    return mask;
}

void DisplayCanvas::sendPointer(const QPointF &pos, Qt::MouseButtons buttons)
{
    if (m_frame.isNull())
        return;
    m_lastPointer = framePosition(pos);
    m_session->sendPointer(m_lastPointer.x(), m_lastPointer.y(), buttonMaskOf(buttons));
}

void DisplayCanvas::mousePressEvent(QMouseEvent *event)
{
    if (!m_grabbed && !m_frame.isNull()) {
        grabInput(); // the first click only takes the input, like virt-manager
        return;
    }
    sendPointer(event->position(), event->buttons());
}

void DisplayCanvas::mouseReleaseEvent(QMouseEvent *event)
{
    if (m_grabbed)
        sendPointer(event->position(), event->buttons());
}

void DisplayCanvas::mouseMoveEvent(QMouseEvent *event)
{
    if (m_grabbed)
        sendPointer(event->position(), event->buttons());
}

void DisplayCanvas::wheelEvent(QWheelEvent *event)
{
    if (!m_grabbed || m_frame.isNull())
        return;
    const QPoint delta = event->angleDelta();
    int wheel = 0;
    if (delta.y() != 0)
        wheel = delta.y() > 0 ? wheelUp : wheelDown;
    else if (delta.x() != 0)
        wheel = delta.x() > 0 ? wheelLeft : wheelRight;
    const int buttons = buttonMaskOf(event->buttons());
    const QPoint at = framePosition(event->position());
    // A wheel step is a press and a release of its button.
    m_session->sendPointer(at.x(), at.y(), buttons | wheel);
    m_session->sendPointer(at.x(), at.y(), buttons);
    event->accept();
}

void DisplayCanvas::focusOutEvent(QFocusEvent *event)
{
    QWidget::focusOutEvent(event);
    releaseInput();
}

void DisplayCanvas::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    releaseInput();
}

} // namespace Hamlet
