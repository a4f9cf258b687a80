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
  std::string Origin() const { return "https://" + authority; }
};

StatusOr<HostInfo> ParseHost(std::string_view host, const std::vector<std::string>& extra_hosts);

}  // namespace coffer::api
