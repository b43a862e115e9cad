#pragma once

#include <QImage>
#include <QWidget>

class QAction;
class QLabel;
class QScrollArea;
class QToolButton;

namespace Hamlet {

class DisplayCanvas;
class RfbSession;

// The Display tab of a VM: an RFB client over the connected socket the helper hands out from
// OpenDisplay (virDomainOpenGraphicsFD). A bar on top holds "Send Ctrl+Alt+Del", the
// scale-to-fit / 1:1 toggle, and a hint line that always says how input reaches the VM and how
// to get the keyboard back. The fd is owned: setFd() takes it, closeFd() and the destructor
// close it and stop the session thread. With no fd it says why there is nothing to show.
class DisplayWidget : public QWidget
{
    Q_OBJECT
public:
    explicit DisplayWidget(QWidget *parent = nullptr);
    ~DisplayWidget() override;

    // Takes ownership of a connected RFB socket and starts showing it (any previous one closes).
    void setFd(int fd);
    // Closes the connection and shows the placeholder. Not QWidget::close(): the widget stays.
    void closeFd();
    bool isConnected() const;

    // Shown when there is no fd: e.g. "This VM has no display." or "The VM is not running."
    void setPlaceholderText(const QString &text);
    QString placeholderText() const { return m_placeholder; }
    // The message the widget shows instead of a framebuffer (empty while a frame is shown).
    QString statusText() const;
    QString hintText() const;

    QImage framebuffer() const;
    QSize framebufferSize() const { return framebuffer().size(); }

    bool scaleToFit() const;
    void setScaleToFit(bool fit);
    void sendCtrlAltDel();
    bool isInputGrabbed() const;
    void releaseInput();

    QAction *sendCtrlAltDelAction() const { return m_ctrlAltDel; }
    QAction *scaleToFitAction() const { return m_scaleToFit; }
    DisplayCanvas *canvas() const { return m_canvas; }

Q_SIGNALS:
    void connected();
    void framebufferUpdated();
    // The VM's display went away (the VM stopped, the connection broke).
    void closed();

private:
    void onFrameReady();
    void onEnded(const QString &reason);
    void updateHint();
    void updateActions();

    RfbSession *m_session;
    DisplayCanvas *m_canvas;
    QScrollArea *m_scroll;
    QAction *m_ctrlAltDel;
    QAction *m_scaleToFit;
    QLabel *m_hint;
    QString m_placeholder;
    QString m_desktopName;
};

} // namespace Hamlet
