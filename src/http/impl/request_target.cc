// Request-target parsing (see request_target.h).
#include "http/impl/request_target.h"

#include "http/message.h"

namespace coffer::http::impl {

StatusOr<ParsedTarget> ParseTarget(std::string_view target) {
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F)
      return InvalidArgumentError("request target has a control character or space");
  }
  ParsedTarget out;
  if (target == "*") {
    out.path = "*";
    return out;
  }
  bool absolute = target.starts_with("https://") || target.starts_with("http://");
  if (absolute) {
    // Absolute-form: the authority is kept for the caller to check against Host (RFC 9112
    // §3.2.2); the rest is read like origin-form.
    size_t authority = target.find("//") + 2;
    size_t rest = target.find_first_of("/?", authority);
    out.authority = std::string(target.substr(authority, rest == std::string_view::npos
                                                             ? std::string_view::npos
                                                             : rest - authority));
    target = rest == std::string_view::npos ? std::string_view() : target.substr(rest);
  }
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (absolute && path.empty()) path = "/";
  if (!path.starts_with('/')) return InvalidArgumentError("request target must start with '/'");
  out.path = std::string(path);
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view raw_name = piece.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    auto name = PercentDecode(raw_name);
    auto value = PercentDecode(raw_value);
    if (!name || !value)
      return InvalidArgumentError("malformed percent-encoding in the query string");
    out.query.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

}  // namespace coffer::http::impl
