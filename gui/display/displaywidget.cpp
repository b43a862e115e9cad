#include "displaywidget.h"

#include "displaycanvas.h"
#include "rfbsession.h"

#include <QAction>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>

#include <rfb/keysym.h>

namespace Hamlet {

DisplayWidget::DisplayWidget(QWidget *parent)
    : QWidget(parent)
    , m_session(new RfbSession(this))
    , m_placeholder(tr("No display: the VM is not running."))
{
    setObjectName(QStringLiteral("displayWidget"));
    m_canvas = new DisplayCanvas(m_session, this);
    m_canvas->setMessage(m_placeholder);

    m_ctrlAltDel = new QAction(tr("Send Ctrl+Alt+Del"), this);
    m_ctrlAltDel->setToolTip(tr("Send Ctrl+Alt+Del to the VM (the keys themselves stay with this computer)."));
    connect(m_ctrlAltDel, &QAction::triggered, this, &DisplayWidget::sendCtrlAltDel);
    m_scaleToFit = new QAction(tr("Scale to fit"), this);
    m_scaleToFit->setCheckable(true);
    m_scaleToFit->setChecked(true);
    m_scaleToFit->setToolTip(tr("Scale the VM's screen to the window, or show it pixel for pixel (1:1)."));
    connect(m_scaleToFit, &QAction::toggled, this, &DisplayWidget::setScaleToFit);

    auto *ctrlAltDelButton = new QToolButton(this);
    ctrlAltDelButton->setDefaultAction(m_ctrlAltDel);
    auto *scaleButton = new QToolButton(this);
    scaleButton->setDefaultAction(m_scaleToFit);
    m_hint = new QLabel(this);
    m_hint->setObjectName(QStringLiteral("displayHint"));
    m_hint->setTextFormat(Qt::PlainText);
    m_hint->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    m_scroll = new QScrollArea(this);
    m_scroll->setWidget(m_canvas);
    m_scroll->setWidgetResizable(true);
    m_scroll->setAlignment(Qt::AlignCenter);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setFocusProxy(m_canvas);
    setFocusProxy(m_canvas);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 4);
    bar->addWidget(ctrlAltDelButton);
    bar->addWidget(scaleButton);
    bar->addSpacing(8);
    bar->addWidget(m_hint, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(bar);
    layout->addWidget(m_scroll, 1);

    connect(m_session, &RfbSession::connected, this, [this](const QString &name, const QSize &size) {
        m_desktopName = name;
        m_canvas->setMessage(tr("Connected to %1 (%2x%3), waiting for the first picture…")
                                 .arg(name.isEmpty() ? tr("the VM") : name)
                                 .arg(size.width())
                                 .arg(size.height()));
        Q_EMIT connected();
    });
    connect(m_session, &RfbSession::frameReady, this, &DisplayWidget::onFrameReady);
    connect(m_session, &RfbSession::ended, this, &DisplayWidget::onEnded);
    connect(m_canvas, &DisplayCanvas::inputGrabChanged, this, &DisplayWidget::updateHint);
    updateActions();
    updateHint();
}

DisplayWidget::~DisplayWidget()
{
    m_session->stop(); // join the session thread while the canvas it posts to still exists
}

void DisplayWidget::setFd(int fd)
{
    if (fd >= 0 && fd == m_session->fd() && m_session->isRunning())
        return; // the socket it already shows
    m_session->stop();
    m_canvas->clearFrame();
    m_desktopName.clear();
    if (fd >= 0) {
        m_canvas->setMessage(tr("Connecting to the VM's display…"));
        m_session->start(fd);
    } else {
        m_canvas->setMessage(m_placeholder);
    }
    updateActions();
    updateHint();
}

void DisplayWidget::closeFd()
{
    setFd(-1);
}

bool DisplayWidget::isConnected() const
{
    return m_session->isRunning();
}

void DisplayWidget::setPlaceholderText(const QString &text)
{
    m_placeholder = text;
    if (!m_session->isRunning())
        m_canvas->setMessage(text);
}

QString DisplayWidget::statusText() const
{
    return m_canvas->frame().isNull() ? m_canvas->message() : QString();
}

QString DisplayWidget::hintText() const
{
    return m_hint->text();
}

QImage DisplayWidget::framebuffer() const
{
    return m_canvas->frame();
}

bool DisplayWidget::scaleToFit() const
{
    return m_canvas->scaleToFit();
}

void DisplayWidget::setScaleToFit(bool fit)
{
    m_canvas->setScaleToFit(fit);
    m_scaleToFit->setChecked(fit);
    m_scroll->setHorizontalScrollBarPolicy(fit ? Qt::ScrollBarAlwaysOff : Qt::ScrollBarAsNeeded);
    m_scroll->setVerticalScrollBarPolicy(fit ? Qt::ScrollBarAlwaysOff : Qt::ScrollBarAsNeeded);
}

void DisplayWidget::sendCtrlAltDel()
{
    if (!m_session->isRunning())
        return;
    m_canvas->sendChord({XK_Control_L, XK_Alt_L, XK_Delete});
}

bool DisplayWidget::isInputGrabbed() const
{
    return m_canvas->isInputGrabbed();
}

void DisplayWidget::releaseInput()
{
    m_canvas->releaseInput();
}

void DisplayWidget::onFrameReady()
{
    const QImage frame = m_session->takeFrame();
    if (!m_session->isRunning() || frame.isNull())
        return; // posted just before the session was stopped, or already taken
    const bool first = m_canvas->frame().isNull();
    m_canvas->setFrame(frame);
    if (first) {
        updateActions();
        updateHint();
    }
    Q_EMIT framebufferUpdated();
}

void DisplayWidget::onEnded(const QString &reason)
{
    m_session->stop(); // joins the finished thread and closes the fd
    m_canvas->clearFrame();
    m_canvas->setMessage(tr("Display closed: %1").arg(reason));
    updateActions();
    updateHint();
    Q_EMIT closed();
}

void DisplayWidget::updateActions()
{
    m_ctrlAltDel->setEnabled(m_session->isRunning() && !m_canvas->frame().isNull());
}

void DisplayWidget::updateHint()
{
    if (!m_session->isRunning() || m_canvas->frame().isNull())
        m_hint->setText(QString());
    else if (m_canvas->isInputGrabbed())
        m_hint->setText(tr("Keyboard and mouse go to the VM. Press Ctrl+Alt to release them."));
    else
        m_hint->setText(tr("Click the screen to send keyboard and mouse to the VM."));
}

} // namespace Hamlet
