// What `coffer key …` makes of its arguments before anything is sent: the create body from az's
// options, a release policy, a rotation policy, and base64 values given as standard base64 or
// base64url. Every error is InvalidArgument with a message that names the option; the command
// file turns it into a usage error (exit 2).
//
// Thread-safety: pure functions (ReadJsonArgument reads a file).
#pragma once

#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace coffer::cli {

// The options of `key create` (and the attributes of `key import`).
struct KeyCreateOptions {
  std::string kty = "RSA";  // RSA, RSA-HSM, EC, EC-HSM, oct, oct-HSM
  int size = 0;             // 0 = the server's default
  std::string curve;
  std::vector<std::string> ops;
  bool disabled = false;
  bool exportable = false;
  std::string policy;  // release policy: JSON text or @file; "" = none
  bool immutable = false;
};

// The body of POST /keys/N/create (without tags). Errors: those of ReleasePolicy.
StatusOr<nlohmann::json> KeyCreateBody(const KeyCreateOptions& options);

// `release_policy` for `--policy`: {contentType, data: base64url of the policy JSON, immutable}.
// Errors: an unreadable file, text that is not a JSON object.
StatusOr<nlohmann::json> ReleasePolicy(const std::string& text, bool immutable);

// Unix seconds of `--expires`/`--not-before` text, as az takes it: `YYYY-MM-DDTHH:MM:SSZ`
// (fractions of a second ignored) or `YYYY-MM-DD` (midnight UTC). Errors: anything else.
StatusOr<int64_t> ParseDateTimeArgument(const std::string& option, const std::string& text);

// The bytes of `text` given as base64url or standard base64. Errors: neither.
StatusOr<std::string> DecodeBase64Argument(const std::string& option, const std::string& text);

}  // namespace coffer::cli
