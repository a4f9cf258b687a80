// Logging front: spdlog, named "coffer". Never pass secret material or request bodies to it.
#pragma once

#include <spdlog/spdlog.h>

namespace coffer::log {

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace coffer::log
