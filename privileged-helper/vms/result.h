#pragma once

#include "errors.h"

#include <optional>
#include <utility>

namespace Hamlet::Vms {

// The outcome of a VM operation: a value, or the ErrorReply that goes back to the D-Bus caller.
// (std::expected is C++23; this is the part of it Hamlet needs.)
template <typename T> class Result
{
public:
    Result(T value)
        : m_value(std::move(value))
    { }
    Result(ErrorReply error)
        : m_error(std::move(error))
    { }

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return *m_value; }
    T &value() & { return *m_value; }
    T &&value() && { return std::move(*m_value); }
    const ErrorReply &error() const { return m_error; }

private:
    std::optional<T> m_value;
    ErrorReply m_error;
};

template <> class Result<void>
{
public:
    Result() = default;
    Result(ErrorReply error)
        : m_failed(true)
        , m_error(std::move(error))
    { }

    bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    const ErrorReply &error() const { return m_error; }

private:
    bool m_failed = false;
    ErrorReply m_error;
};

inline ErrorReply failure(const QString &name, const QString &message)
{
    return ErrorReply {name, message};
}

} // namespace Hamlet::Vms
