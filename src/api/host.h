// Host validation: the request's Host header decides which vault a data-plane request is for
// and is the only source of the scheme-less authority used in ids, kids and nextLinks.
//
//   <vault>.vault.localhost[:port]            → that vault
//   localhost | 127.x.y.z | [::1] [:port]    → the base host (default vault, identity, ARM)
//   a configured extra host name [:port]      → the base host
// Anything else is InvalidArgument (400). Host names are lower-cased.
//
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace coffer::api {

struct HostInfo {
  bool is_vault = false;
  std::string vault_name;  // when is_vault
  std::string authority;   // "name[:port]" as validated, lower-cased
  std::string name;        // the authority without its port
  std::string port;        // the port as sent, "" when none
  std::string Origin() const { return "https://" + authority; }
};

StatusOr<HostInfo> ParseHost(std::string_view host, const std::vector<std::string>& extra_hosts);

// Whether `origin` (an Origin header, e.g. "https://localhost:8443") is the portal's: https,
// the base host by its name — localhost, 127.0.0.1, [::1] or a configured extra host, never a
// vault host nor another loopback address — and the same port as `request_host`, the host the
// request itself was sent to (CONTRACT.md "Routes that need no token": CORS for the server's own
// portal origins only).
bool IsPortalOrigin(std::string_view origin, const HostInfo& request_host,
                    const std::vector<std::string>& extra_hosts);

}  // namespace coffer::api
