// AuditEntry: what the audit log records about one request, and its JSON line format
// (CONTRACT.md "Audit log"; docs/decisions.md "Audit log" has the format).
//
// The entry has no field for a value, a key or a token, so none can reach the log. Names may carry
// any bytes a percent-decoded path held: the formatter always produces valid UTF-8 JSON (each
// maximal invalid subpart becomes U+FFFD, control characters are escaped) and never throws on
// bad input. It builds the line by hand into one string, without a JSON DOM.
//
// Thread-safety: plain functions on values; safe to call from many threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coffer::auth {

struct AuditEntry {
  int64_t time_ms = 0;  // milliseconds since the epoch (real clock), written as RFC 3339 UTC
  std::string request_id;
  std::string caller_oid, caller_appid, caller_tid;  // all empty when unauthenticated
  std::string ip;         // "" for what no request caused (a sweeper action)
  std::string plane;      // "data" | "management" | "identity" | "system" | ...
  std::string vault;      // vault name or ""
  std::string operation;  // the route's action
  std::string object_kind, object_name, object_version;  // "" when none
  int status = 0;
  double duration_ms = 0;
  uint64_t count = 1;  // > 1 when identical 401s were aggregated
  // A certificate EmailContacts lifetime action: the addresses of the vault's contacts it
  // notifies (no email is sent; this line is the notification).
  std::optional<std::vector<std::string>> contacts;
};

// One JSON line, without the trailing newline, keys in this order:
//   {"time":"2026-12-06T03:38:16.123Z","requestId":"…",
//    "caller":{"oid":"…","appid":"…","tid":"…"} | null,
//    "ip":"…" | null,"plane":"data","vault":"…" | null,"operation":"…",
//    "object":{"kind":"secret","name":"…","version":"…" | null} | null,
//    "status":200,"durationMs":1.234[,"count":N][,"contacts":["…",…]]}
// `caller` is null when oid, appid and tid are all empty (an empty one of them is null); `ip`
// and `vault` are null when empty; `object` is null when kind and name are empty (an empty one
// of the three is null); `count` appears only when > 1, `contacts` only when set. Times before
// 1970 or after 9999 are clamped; durationMs has at most three decimals, and a negative or
// non-finite duration is written as 0.
std::string FormatAuditLine(const AuditEntry& e);

// The same line appended to `out` (for callers that reuse a buffer).
void AppendAuditLine(const AuditEntry& e, std::string* out);

// Appends `s` to `out` as a JSON string literal, quotes included: `"`, `\`, C0 controls, DEL and
// C1 controls (U+0080–U+009F) escaped, so a line printed to a terminal cannot drive it; each
// maximal invalid UTF-8 subpart replaced by U+FFFD (as nlohmann/json's `replace` handler does).
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace coffer::auth
