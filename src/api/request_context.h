// RequestContext: what OnHead learned about a request, handed to the route handlers.
// Thread-safety: plain value.
#pragma once

#include <string>
#include <vector>

#include "api/host.h"
#include "auth/token_service.h"

namespace coffer::api {

enum class Plane { kIdentity, kOperator, kManagement, kDev, kData };

struct RequestContext {
  Plane plane = Plane::kData;
  HostInfo host;
  auth::Principal principal;
  std::vector<std::string> segments;  // percent-decoded path segments, empty ones kept
};

// Splits "/a/b//c/" into {"a","b","","c",""} and percent-decodes each; nullopt on bad escapes.
std::optional<std::vector<std::string>> SplitPath(std::string_view path);

}  // namespace coffer::api
