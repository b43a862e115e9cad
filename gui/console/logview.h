#pragma once

#include <QPlainTextEdit>
#include <QStringDecoder>

namespace Hamlet {

class FdStream;

// The Console tab of a container started without a tty: its output, followed live from an fd
// (a pipe or the log file the helper opened). Read-only, bounded (old lines drop off the top),
// and it keeps following the end unless the user scrolled up to read. Terminal colour and cursor
// escapes are removed, since this is a log, not a terminal. Owns the fd like TerminalWidget.
class LogView : public QPlainTextEdit
{
    Q_OBJECT
public:
    explicit LogView(QWidget *parent = nullptr);
    ~LogView() override;

    // Takes ownership of fd and follows it; the text shown so far is replaced.
    void setFd(int fd);
    // Stops following and closes the fd; the text stays, the status says so.
    void closeFd();
    bool isConnected() const;

    void setMaximumLines(int lines);
    // The words shown when there is nothing to show: no fd, or an fd with no output yet.
    QString statusText() const;
    // Everything currently shown, as plain text.
    QString text() const;

Q_SIGNALS:
    void closed();

private:
    void append(const QByteArray &bytes);
    void updatePlaceholder();

    FdStream *m_stream;
    QStringDecoder m_decoder;
    QString m_partialEscape;
    bool m_ended = false;
};

} // namespace Hamlet
