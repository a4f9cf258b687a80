#include "cli/progress.h"

#include <unistd.h>

#include <iostream>

namespace coffer::cli {

namespace {
constexpr int kBarWidth = 20;
constexpr int kBlockWidth = 5;
}  // namespace

Progress::Progress(std::string what) : Progress(std::move(what), isatty(STDERR_FILENO) == 1) {}

Progress::Progress(std::string what, bool enabled) : what_(std::move(what)), enabled_(enabled) {}

Progress::~Progress() {
  if (drawn_) std::cerr << std::endl;
}

std::string Progress::Line(const std::string& what, std::chrono::milliseconds elapsed,
                           const std::string& status) {
  // A block that bounces across the bar, one step every 200 ms: work of unknown length.
  const int span = kBarWidth - kBlockWidth;
  int step = static_cast<int>(elapsed.count() / 200) % (2 * span);
  int at = step <= span ? step : 2 * span - step;
  std::string bar(kBarWidth, ' ');
  bar.replace(at, kBlockWidth, std::string(kBlockWidth, '='));
  return "\r" + what + " [" + bar + "] " + std::to_string(elapsed.count() / 1000) + "s " + status +
         "\x1b[K";  // clear what a longer previous line left
}

void Progress::Update(const std::string& status) {
  if (!enabled_) return;
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start_);
  std::cerr << Line(what_, elapsed, status) << std::flush;
  drawn_ = true;
}

}  // namespace coffer::cli
