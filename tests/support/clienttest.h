#pragma once

#include "helperclient.h"

#include <QCoro/QCoroTask>
#include <QElapsedTimer>
#include <QFile>
#include <QString>
#include <QVariantMap>
#include <optional>
#include <poll.h>
#include <unistd.h>

// Small helpers for tests that drive the helper through HelperClient (the GUI's own client).
namespace Hamlet::Test {

// The value of a finished call, or a failure message naming the D-Bus error.
template <typename T> T valueOr(const Result<T> &result, QString *failure)
{
    if (const auto *error = std::get_if<ClientError>(&result)) {
        *failure = error->name + QStringLiteral(": ") + error->message;
        return T {};
    }
    return std::get<T>(result);
}

template <typename T> QString errorName(const Result<T> &result)
{
    const auto *error = std::get_if<ClientError>(&result);
    return error ? error->name : QString();
}

// Create and wait for the job; returns "" on success, else the error name and message.
inline QString createAndWait(HelperClient &client, const QString &kind, const QString &name, const QVariantMap &spec)
{
    const auto job = kind == QLatin1String("vm") ? QCoro::waitFor(client.createVm(name, spec))
                                                 : QCoro::waitFor(client.createContainer(name, spec));
    if (const auto *error = std::get_if<ClientError>(&job))
        return error->name + QStringLiteral(": ") + error->message;
    const auto done = QCoro::waitFor(client.waitForJob(std::get<QString>(job)));
    if (const auto *error = std::get_if<ClientError>(&done))
        return error->name + QStringLiteral(": ") + error->message;
    return {};
}

inline QString instanceState(HelperClient &client, const QString &name)
{
    const auto properties = QCoro::waitFor(client.instanceProperties(name));
    const auto *values = std::get_if<QVariantMap>(&properties);
    return values ? values->value(QStringLiteral("State")).toString() : QString();
}

inline QVariantMap instanceProperties(HelperClient &client, const QString &name)
{
    const auto properties = QCoro::waitFor(client.instanceProperties(name));
    const auto *values = std::get_if<QVariantMap>(&properties);
    return values ? *values : QVariantMap();
}

// Reads an fd (a console) until `until` shows up or the time is up; returns all it read.
inline QByteArray readUntil(int fd, const QByteArray &until, int timeoutMs)
{
    QByteArray data;
    QElapsedTimer timer;
    timer.start();
    while (!data.contains(until) && timer.elapsed() < timeoutMs) {
        pollfd p {fd, POLLIN, 0};
        if (::poll(&p, 1, 100) > 0) {
            char buffer[4096];
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0)
                break;
            data.append(buffer, n);
        }
    }
    return data;
}

// The names ListInstances gives (empty when the call fails).
inline QStringList instanceNames(HelperClient &client)
{
    QStringList names;
    const auto listed = QCoro::waitFor(client.listInstances());
    if (const auto *rows = std::get_if<InstanceSummaryList>(&listed)) {
        for (const InstanceSummary &row : *rows)
            names << row.name;
    }
    return names;
}

inline QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace Hamlet::Test
