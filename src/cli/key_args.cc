#include "cli/key_args.h"

#include <chrono>
#include <cstdio>

#include "cli/certificate_args.h"
#include "core/encoding.h"

namespace coffer::cli {

using nlohmann::json;

StatusOr<json> ReleasePolicy(const std::string& text, bool immutable) {
  ASSIGN_OR_RETURN(json policy, ReadJsonArgument("--policy", text));
  json out = {{"contentType", "application/json; charset=utf-8"},
              {"data", EncodeBase64Url(policy.dump())}};
  if (immutable) out["immutable"] = true;
  return out;
}

StatusOr<json> KeyCreateBody(const KeyCreateOptions& options) {
  json body = {{"kty", options.kty}};
  if (options.size != 0) body["key_size"] = options.size;
  if (!options.curve.empty()) body["crv"] = options.curve;
  if (!options.ops.empty()) body["key_ops"] = options.ops;
  json attributes = json::object();
  if (options.disabled) attributes["enabled"] = false;
  if (options.exportable) attributes["exportable"] = true;
  if (!attributes.empty()) body["attributes"] = std::move(attributes);
  if (!options.policy.empty()) {
    ASSIGN_OR_RETURN(body["release_policy"], ReleasePolicy(options.policy, options.immutable));
  }
  return body;
}

StatusOr<int64_t> ParseDateTimeArgument(const std::string& option, const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, used = 0;
  bool ok = false;
  const char* c = text.c_str();
  if (std::sscanf(c, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) == 6) {
    std::string rest = text.substr(static_cast<size_t>(used));
    size_t digits = rest.starts_with('.') ? rest.find_first_not_of("0123456789", 1) : 0;
    ok = digits != std::string::npos && rest.substr(digits) == "Z";
  } else if (std::sscanf(c, "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3) {
    ok = static_cast<size_t>(used) == text.size();
  }
  std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(mo),
                                   std::chrono::day(d)};
  if (!ok || !date.ok() || h > 23 || mi > 59 || s > 59 || h < 0 || mi < 0 || s < 0) {
    return InvalidArgumentError(option + ": '" + text +
                                "' is not a UTC time (YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD)");
  }
  return std::chrono::sys_days(date).time_since_epoch().count() * 86400 + h * 3600 + mi * 60 + s;
}

StatusOr<std::string> DecodeBase64Argument(const std::string& option, const std::string& text) {
  if (auto bytes = DecodeBase64Url(text)) return *bytes;
  if (auto bytes = DecodeBase64(text)) return *bytes;
  return InvalidArgumentError(option + ": not base64 or base64url");
}

}  // namespace coffer::cli
