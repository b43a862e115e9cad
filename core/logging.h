#pragma once

#include <QByteArray>
#include <QString>

#include <memory>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

// Logging: one spdlog logger per area ("helper", "containers", "vms", "stats", "gui", "core"),
// all writing to stderr with the program's name. Qt's own messages are forwarded into the "qt"
// logger. The level is info, or debug with --verbose or HAMLET_LOG=debug (HAMLET_LOG may name
// any spdlog level).
namespace Hamlet::Log {

void setup(const char *program, bool verbose);
std::shared_ptr<spdlog::logger> get(const char *area);

inline std::shared_ptr<spdlog::logger> helper()
{
    return get("helper");
}
inline std::shared_ptr<spdlog::logger> containers()
{
    return get("containers");
}
inline std::shared_ptr<spdlog::logger> vms()
{
    return get("vms");
}
inline std::shared_ptr<spdlog::logger> stats()
{
    return get("stats");
}
inline std::shared_ptr<spdlog::logger> gui()
{
    return get("gui");
}
inline std::shared_ptr<spdlog::logger> core()
{
    return get("core");
}

} // namespace Hamlet::Log

template <> struct fmt::formatter<QString> : fmt::formatter<std::string_view> {
    template <typename FormatContext> auto format(const QString &value, FormatContext &ctx) const
    {
        const QByteArray utf8 = value.toUtf8();
        return fmt::formatter<std::string_view>::format(std::string_view(utf8.constData(), utf8.size()), ctx);
    }
};

template <> struct fmt::formatter<QByteArray> : fmt::formatter<std::string_view> {
    template <typename FormatContext> auto format(const QByteArray &value, FormatContext &ctx) const
    {
        return fmt::formatter<std::string_view>::format(std::string_view(value.constData(), value.size()), ctx);
    }
};
