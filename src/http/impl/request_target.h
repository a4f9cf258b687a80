// Splits an HTTP request-target into path and decoded query parameters. No Beast here, so the
// parsing can be unit-tested and fuzzed without the HTTP library.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace coffer::http::impl {

struct ParsedTarget {
  std::string authority;  // absolute-form only: "host[:port]" as sent; "" otherwise
  std::string path;                                        // still percent-encoded
  std::vector<std::pair<std::string, std::string>> query;  // names and values decoded
};

// Accepts origin-form ("/a?b=c"), absolute-form ("https://host/a?b") and "*". Empty query
// pieces ("a=1&&b") are skipped; a piece without '=' has an empty value. Returns
// InvalidArgument for any other form, a malformed percent escape, or a control character.
StatusOr<ParsedTarget> ParseTarget(std::string_view target);

}  // namespace coffer::http::impl
