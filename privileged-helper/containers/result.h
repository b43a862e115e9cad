#pragma once

#include "errors.h"

#include <utility>
#include <variant>

namespace Hamlet::Containers {

// A value or the error a person will read. The container code returns these instead of throwing
// so that a failure can travel, unchanged, from deep inside (a runc message, an errno and a path)
// to the D-Bus reply.
template <typename T> class Result
{
public:
    // Only so that Result can be a default-constructed slot (QCoro::waitFor needs one): an error.
    Result()
        : m_value(ErrorReply {Error::Failed, QStringLiteral("no result was produced")})
    { }
    Result(T value)
        : m_value(std::move(value))
    { }
    Result(ErrorReply error)
        : m_value(std::move(error))
    { }

    bool ok() const { return std::holds_alternative<T>(m_value); }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return std::get<T>(m_value); }
    T &value() & { return std::get<T>(m_value); }
    T &&value() && { return std::get<T>(std::move(m_value)); }
    const T &operator*() const & { return value(); }
    const T *operator->() const { return &value(); }
    T *operator->() { return &value(); }
    T &operator*() & { return value(); }
    const ErrorReply &error() const { return std::get<ErrorReply>(m_value); }

private:
    std::variant<T, ErrorReply> m_value;
};

// The result of something that produces no value.
using Status = Result<std::monostate>;
inline Status success()
{
    return Status(std::monostate {});
}

inline ErrorReply failed(const QString &message)
{
    return ErrorReply {Error::Failed, message};
}
inline ErrorReply invalidArgument(const QString &message)
{
    return ErrorReply {Error::InvalidArgument, message};
}

} // namespace Hamlet::Containers
