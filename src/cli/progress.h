// A progress line on stderr for long work of the `coffer` CLI (whole-vault backup and restore):
// an indeterminate bar, the elapsed seconds and a status text, redrawn in place. It draws only
// when stderr is a terminal (CONTRACT.md "CLI"), so scripts and tests see nothing; stdout is
// never touched.
//
// Thread-safety: one thread per Progress.
#pragma once

#include <chrono>
#include <string>

namespace coffer::cli {

class Progress {
 public:
  // `what` leads the line ("backing up dev"). `enabled` defaults to whether stderr is a tty.
  explicit Progress(std::string what);
  Progress(std::string what, bool enabled);
  // Ends the line (if one was drawn).
  ~Progress();

  // Redraws the line with `status` ("InProgress", "downloading 12 MiB", …).
  void Update(const std::string& status);

  // The line Update draws after `elapsed` (for tests): "\r<what> [   ===    ] 12s <status>".
  static std::string Line(const std::string& what, std::chrono::milliseconds elapsed,
                          const std::string& status);

 private:
  std::string what_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace coffer::cli
