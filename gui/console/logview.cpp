#include "logview.h"

#include "fdstream.h"

#include <QFontDatabase>
#include <QRegularExpression>
#include <QScrollBar>

namespace Hamlet {

namespace {
constexpr int defaultMaximumLines = 5000;

// CSI sequences (colours, cursor moves, erase), OSC sequences (titles) and other two-byte
// escapes: what programs print to a terminal that makes no sense in a log.
const QRegularExpression &escapePattern()
{
    static const QRegularExpression pattern(
        QStringLiteral("\\x1b(?:\\[[0-?]*[ -/]*[@-~]|\\][^\\x07\\x1b]*(?:\\x07|\\x1b\\\\)|[@-Z\\\\-_])"));
    return pattern;
}
} // namespace

LogView::LogView(QWidget *parent)
    : QPlainTextEdit(parent)
    , m_stream(new FdStream(this))
    , m_decoder(QStringDecoder::Utf8)
{
    setObjectName(QStringLiteral("logView"));
    setReadOnly(true);
    setUndoRedoEnabled(false);
    setLineWrapMode(QPlainTextEdit::WidgetWidth);
    setMaximumBlockCount(defaultMaximumLines);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    connect(m_stream, &FdStream::dataReceived, this, &LogView::append);
    connect(m_stream, &FdStream::rewound, this, [this] {
        // The log was rewritten shorter (its older part dropped); show it again from its start,
        // which says what was dropped, rather than duplicating the part already shown.
        m_decoder.resetState();
        m_partialEscape.clear();
        clear();
    });
    connect(m_stream, &FdStream::closed, this, [this] {
        m_ended = true;
        updatePlaceholder();
        appendHtml(QStringLiteral("<p style='color:#808080'><i>%1</i></p>")
                       .arg(tr("— End of output: the container's output closed. —").toHtmlEscaped()));
        Q_EMIT closed();
    });
    updatePlaceholder();
}

LogView::~LogView() = default;

void LogView::setFd(int fd)
{
    if (fd >= 0 && fd == m_stream->fd())
        return; // already following it
    m_stream->setFd(fd);
    m_decoder.resetState();
    m_partialEscape.clear();
    m_ended = false;
    clear();
    updatePlaceholder();
}

void LogView::closeFd()
{
    m_stream->close();
    updatePlaceholder();
}

bool LogView::isConnected() const
{
    return m_stream->isOpen();
}

void LogView::setMaximumLines(int lines)
{
    setMaximumBlockCount(lines);
}

QString LogView::statusText() const
{
    return document()->isEmpty() ? placeholderText() : QString();
}

QString LogView::text() const
{
    return toPlainText();
}

void LogView::updatePlaceholder()
{
    if (m_stream->isOpen())
        setPlaceholderText(tr("No output yet. New lines appear here as the container writes them."));
    else if (m_ended)
        setPlaceholderText(tr("The container's output closed without writing anything."));
    else
        setPlaceholderText(tr("No log: the container is not running."));
}

void LogView::append(const QByteArray &bytes)
{
    // The decoder keeps a UTF-8 sequence split across reads; an escape split across reads is
    // held back until its end arrives.
    QString text = m_partialEscape + m_decoder.decode(bytes);
    m_partialEscape.clear();
    const qsizetype lastEscape = text.lastIndexOf(QChar(0x1b));
    if (lastEscape >= 0 && text.size() - lastEscape < 64) {
        const QString tail = text.mid(lastEscape);
        if (!escapePattern().match(tail).hasMatch()) {
            m_partialEscape = tail;
            text.truncate(lastEscape);
        }
    }
    text.remove(escapePattern());
    text.remove(QLatin1Char('\r'));
    if (text.isEmpty())
        return;
    QScrollBar *bar = verticalScrollBar();
    const bool following = bar->value() >= bar->maximum() - 1;
    QTextCursor cursor(document());
    cursor.movePosition(QTextCursor::End);
    cursor.insertText(text);
    if (following)
        bar->setValue(bar->maximum());
}

} // namespace Hamlet
