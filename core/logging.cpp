#include "logging.h"

#include <QtGlobal>

#include <mutex>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace Hamlet::Log {

namespace {
std::mutex g_mutex;
spdlog::level::level_enum g_level = spdlog::level::info;
std::string g_pattern = "[%H:%M:%S.%e] [%n] [%^%l%$] %v";

void forwardQtMessage(QtMsgType type, const QMessageLogContext &, const QString &message)
{
    const auto logger = get("qt");
    switch (type) {
    case QtDebugMsg:
        logger->debug("{}", message);
        break;
    case QtInfoMsg:
        logger->info("{}", message);
        break;
    case QtWarningMsg:
        logger->warn("{}", message);
        break;
    case QtCriticalMsg:
    case QtFatalMsg:
        logger->critical("{}", message);
        break;
    }
}
} // namespace

void setup(const char *program, bool verbose)
{
    std::lock_guard lock(g_mutex);
    g_level = verbose ? spdlog::level::debug : spdlog::level::info;
    if (const QByteArray env = qgetenv("HAMLET_LOG"); !env.isEmpty()) {
        const auto fromEnv = spdlog::level::from_str(env.toStdString());
        // from_str answers "off" for unknown words; only honour "off" when it was asked for.
        if (fromEnv != spdlog::level::off || env == "off")
            g_level = verbose ? std::min(fromEnv, spdlog::level::debug) : fromEnv;
    }
    g_pattern = std::string("[%H:%M:%S.%e] ") + program + " [%n] [%^%l%$] %v";
    spdlog::set_level(g_level);
    spdlog::apply_all([](const std::shared_ptr<spdlog::logger> &logger) {
        logger->set_level(g_level);
        logger->set_pattern(g_pattern);
    });
    qInstallMessageHandler(forwardQtMessage);
}

std::shared_ptr<spdlog::logger> get(const char *area)
{
    if (auto existing = spdlog::get(area))
        return existing;
    std::lock_guard lock(g_mutex);
    if (auto existing = spdlog::get(area))
        return existing;
    auto logger = spdlog::stderr_color_mt(area);
    logger->set_level(g_level);
    logger->set_pattern(g_pattern);
    return logger;
}

} // namespace Hamlet::Log
