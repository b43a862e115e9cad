#pragma once

#include "clienttest.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <unistd.h>

// The tiny VM's serial console (a busybox shell) driven by tests.
namespace Hamlet::Test {

// Runs a command on the guest's shell and returns what it printed up to its own end marker: the
// echoed command line holds the marker's arithmetic, not its value, and each command has its own
// marker, so a late answer to an earlier command that timed out is never taken for this one's.
inline QByteArray onConsole(int console, const QByteArray &command, int timeoutMs = 15000)
{
    static int commands = 0;
    const int number = ++commands;
    const QByteArray line = command + "; echo end-$((" + QByteArray::number(number) + "+1000000))\n";
    if (::write(console, line.constData(), size_t(line.size())) != line.size())
        return {};
    return readUntil(console, "end-" + QByteArray::number(number + 1000000), timeoutMs);
}

inline bool waitForShell(int console, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        if (onConsole(console, "echo ready-$((1+1))", 2000).contains("ready-2"))
            return true;
    }
    return false;
}

} // namespace Hamlet::Test
