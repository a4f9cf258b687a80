// `coffer audit tail`: reads the audit log (<data-dir>/audit.jsonl, written by auth::AuditLog)
// locally, without a running server, and prints the lines that match a vault and/or a caller.
// Lines are printed as they are in the file (they are valid JSON with every control character
// escaped); `--follow` keeps printing new lines, across rotations, until SIGINT.
//
// Thread-safety: the functions keep no state; AddAuditCommands must be called before parsing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace CLI {
class App;
}

namespace coffer::cli {

struct AuditFilter {
  std::string vault{};   // "" = any vault; compared without regard to ASCII case
  std::string caller{};  // "" = any caller; the caller's object id, compared exactly
};

// True when `line` passes `filter`. With an empty filter every non-empty line matches, even one
// that is not JSON; with a filter, a line that is not an audit JSON object never matches.
bool AuditLineMatches(std::string_view line, const AuditFilter& filter);

// The last `n` newline-terminated lines of `path` that match, oldest first. Reads the file
// backwards in blocks, so a large log costs only the blocks that hold the answer. Errors name
// the path: NotFound, PermissionDenied, or Unavailable (any other OS error).
StatusOr<std::vector<std::string>> LastMatchingAuditLines(const std::string& path,
                                                          const AuditFilter& filter, size_t n);

// Registers `audit tail [--data-dir D] [--file F] [--vault V] [--caller OID] [-n N] [--follow]`
// on `app`. The command runs as a CLI11 callback once parsing succeeded and stores its exit code
// (0, or 1 after `ERROR: <message>` on stderr) in *exit_code, which must outlive the parse.
// Returns the `audit` subcommand, so main can `if (audit->parsed()) return *exit_code;`.
CLI::App* AddAuditCommands(CLI::App& app, int* exit_code);

}  // namespace coffer::cli
