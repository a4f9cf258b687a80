// RequestContext: what OnHead learned about a request — the matched route and its parameters,
// the caller, and for the data plane the vault and api-version — handed to the route handler.
// Thread-safety: plain value.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "api/host.h"
#include "api/route_table.h"
#include "auth/token_service.h"
#include "model/vault_record.h"

namespace coffer::api {

struct RequestContext {
  const Route* route = nullptr;
  RouteParams params;
  HostInfo host;
  auth::Principal principal;          // empty object_id for routes that take no token
  std::vector<std::string> segments;  // percent-decoded path segments
  std::optional<model::VaultRecord> vault;  // data plane: the vault the host names
  std::string api_version;                  // data plane: the validated api-version
  std::string request_id;
  std::chrono::steady_clock::time_point start;
  // Service limits: the class the request was counted in (kNone: not throttled), whether it
  // was refused, and whether the decision waits for the body (key create and rotate).
  ThrottleClass limit_class = ThrottleClass::kNone;
  bool throttled = false;
  bool limit_pending = false;

  const std::string& Param(std::string_view name) const { return params.Get(name); }
};

// Splits "/a/b//c/" into {"a","b","","c",""} and percent-decodes each; nullopt on bad escapes.
// A doubled leading slash ("//subscriptions/…", as @azure/arm-authorization sends a scope given
// with a leading slash) means the same path, and one trailing slash is dropped ("/secrets/n/"
// is "/secrets/n", the SDKs' "latest" form).
std::optional<std::vector<std::string>> SplitPath(std::string_view path);

}  // namespace coffer::api
