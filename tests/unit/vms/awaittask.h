#pragma once

#include <QEventLoop>

#include <QCoro/QCoroTask>
#include <optional>

namespace Hamlet::Test {

// Runs a coroutine to its end in a nested event loop. QCoro::waitFor needs results that can be
// default-constructed, which the backends' Result cannot.
template <typename T> T await(QCoro::Task<T> task)
{
    std::optional<T> result;
    QEventLoop loop;
    auto runner = [&]() -> QCoro::Task<> {
        result.emplace(co_await std::move(task));
        loop.quit();
    };
    auto running = runner();
    if (!result)
        loop.exec();
    return std::move(*result);
}

} // namespace Hamlet::Test
