#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <termios.h>

class QSocketNotifier;

// Joins this process's stdin/stdout to a pty master until the pty's other side closes (the
// process in the container ended): stdin's bytes go in, the pty's output comes out. While it
// lives, a terminal on stdin is in raw mode, so keys (Ctrl-C, arrows) reach the remote program
// and not this one, and its window size follows this terminal's (SIGWINCH); the destructor puts
// it back. Stdin that is not a terminal (a pipe, a file) is
// sent as typed input; when it ends, an end-of-file character (^D) follows each time the program
// has been quiet for a moment, until the pty closes: one ^D sent while the pty was still in
// canonical mode becomes a NUL byte once a line editor (ash, bash) switches it to raw mode, so a
// single one can be lost. Owns the master fd.
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
    void sendEofWhenQuiet();
    void followWindowSize();

    int m_master;
    QSocketNotifier *m_stdin;
    QSocketNotifier *m_output;
    bool m_finished = false;
    bool m_stdinIsTty = false;
    bool m_lastWasNewline = true;
    QElapsedTimer m_sinceOutput; // since the program last wrote
    QTimer m_eof;
    int m_winch = -1; // signalfd of SIGWINCH while stdin is a terminal
    QSocketNotifier *m_resized = nullptr;
    termios m_saved {};
};
