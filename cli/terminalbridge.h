#pragma once

#include <QObject>

#include <termios.h>

class QSocketNotifier;

// Joins this process's stdin/stdout to a pty master until the pty's other side closes (the
// process in the container ended): stdin's bytes go in, the pty's output comes out. While it
// lives, a terminal on stdin is in raw mode, so keys (Ctrl-C, arrows) reach the remote program
// and not this one; the destructor puts it back. Stdin that is not a terminal (a pipe, a file) is
// sent as typed input, followed by an end-of-file character when it ends. Owns the master fd.
class TerminalBridge : public QObject
{
    Q_OBJECT
public:
    explicit TerminalBridge(int master, QObject *parent = nullptr);
    ~TerminalBridge() override;

    bool finished() const { return m_finished; }

Q_SIGNALS:
    void done();

private:
    void fromStdin();
    void fromMaster();
    void finish();

    int m_master;
    QSocketNotifier *m_stdin;
    QSocketNotifier *m_output;
    bool m_finished = false;
    bool m_stdinIsTty = false;
    bool m_lastWasNewline = true;
    termios m_saved {};
};
