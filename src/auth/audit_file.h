// AuditSink: where audit lines go, and its file implementation (the audit log's only OS touch,
// behind an interface so tests can inject a sink that fails or counts syncs).
//
// The file sink appends to one path (created with mode 0600; an existing file keeps its mode),
// one write(2) per line, and rotates by size: before a write that would take the file past
// max_size_bytes, audit.<keep-1>.jsonl → audit.<keep>.jsonl, …, audit.jsonl → audit.1.jsonl
// (newest), the oldest removed, and a new audit.jsonl is created (a path without an extension
// rotates to <path>.1 …). A rotation that fails is logged and the line goes to the current file.
// Before each line it checks that the path still names the open file; if it was removed or moved
// away (logrotate), the path is reopened, and if that fails (e.g. the path is now a directory)
// the write fails: no line is ever written to a file the operator can no longer see.
//
// Errors name the path and the OS error: ENOENT → NotFound, EACCES/EPERM → PermissionDenied,
// anything else (ENOSPC, EIO, EISDIR, …) → Unavailable.
//
// Thread-safety: Write and Sync may be called concurrently from several threads; lines are
// never interleaved. Sync does not block Write while the disk flushes.
#pragma once

#include <cstdint>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace coffer::auth {

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Appends one whole line (newline included).
  virtual Status Write(std::string_view line) = 0;
  // Makes everything written so far durable (fdatasync; the directory too after a rotation).
  virtual Status Sync() = 0;
};

// Opens (creating if needed) the audit file at `path`; its directory must exist. Whether the
// path still names the open file (removed, or moved away by logrotate) is checked at most every
// `check_interval` (0: before every line).
StatusOr<std::unique_ptr<AuditSink>> OpenAuditFile(
    const std::string& path, uint64_t max_size_bytes, int keep,
    std::chrono::milliseconds check_interval = std::chrono::milliseconds(0));

}  // namespace coffer::auth
