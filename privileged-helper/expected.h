#pragma once

#include "errors.h"

#include <optional>
#include <variant>

namespace Hamlet {

// A value or the error that stands in its place. Backends return these; the D-Bus layer turns
// the error into a named error reply.
template <typename T> class Expected
{
public:
    Expected(T value)
        : m_value(std::move(value))
    { }
    Expected(ErrorReply error)
        : m_value(std::move(error))
    { }

    bool ok() const { return std::holds_alternative<T>(m_value); }
    const T &value() const { return std::get<T>(m_value); }
    T &value() { return std::get<T>(m_value); }
    const ErrorReply &error() const { return std::get<ErrorReply>(m_value); }

private:
    std::variant<T, ErrorReply> m_value;
};

// The outcome of an operation that returns nothing: no error means it worked.
using Outcome = std::optional<ErrorReply>;

} // namespace Hamlet
