#pragma once

#include <QString>
#include <optional>

namespace Hamlet {

// "64MiB", "1.5G", "4096" (bytes), "512k" -> bytes. Binary units (k = KiB). nullopt when unreadable.
std::optional<qulonglong> parseSize(const QString &text);

} // namespace Hamlet
