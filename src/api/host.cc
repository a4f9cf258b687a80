#include "api/host.h"

#include "core/encoding.h"
#include "vault/keyspace.h"

namespace coffer::api {
namespace {

bool IsLoopbackV4(std::string_view h) {
  int parts = 0;
  size_t i = 0;
  int first = -1;
  while (i <= h.size()) {
    size_t j = h.find('.', i);
    if (j == std::string_view::npos) j = h.size();
    std::string_view part = h.substr(i, j - i);
    if (part.empty() || part.size() > 3) return false;
    int v = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    if (v > 255) return false;
    if (parts == 0) first = v;
    ++parts;
    i = j + 1;
    if (j == h.size()) break;
  }
  return parts == 4 && first == 127;
}

Status BadHost(std::string_view host) {
  std::string shown(host.substr(0, 100));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  return InvalidArgumentError("The Host header '" + shown +
                                  "' does not name this server. Use "
                                  "https://<vault>.vault.localhost:<port> or "
                                  "https://localhost:<port>.",
                              "BadParameter");
}

}  // namespace

StatusOr<HostInfo> ParseHost(std::string_view host, const std::vector<std::string>& extra_hosts) {
  if (host.empty() || host.size() > 255) return BadHost(host);
  std::string lower = AsciiLower(host);
  std::string_view name = lower;
  std::string_view port;
  if (name.front() == '[') {
    size_t close = name.find(']');
    if (close == std::string_view::npos) return BadHost(host);
    port = name.substr(close + 1);
    name = name.substr(0, close + 1);
    if (!port.empty()) {
      if (port.front() != ':') return BadHost(host);
      port.remove_prefix(1);
      if (port.empty()) return BadHost(host);
    }
  } else {
    size_t colon = name.rfind(':');
    if (colon != std::string_view::npos) {
      port = name.substr(colon + 1);
      name = name.substr(0, colon);
      if (port.empty()) return BadHost(host);
    }
  }
  if (!port.empty()) {
    if (port.size() > 5) return BadHost(host);
    int p = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return BadHost(host);
      p = p * 10 + (c - '0');
    }
    if (p == 0 || p > 65535) return BadHost(host);
  }
  HostInfo info;
  info.authority = lower;
  info.name = std::string(name);
  info.port = std::string(port);
  if (name == "localhost" || name == "[::1]" || IsLoopbackV4(name)) return info;
  constexpr std::string_view kVaultSuffix = ".vault.localhost";
  if (name.size() > kVaultSuffix.size() && name.ends_with(kVaultSuffix)) {
    std::string_view vault = name.substr(0, name.size() - kVaultSuffix.size());
    if (!vault::ValidateVaultName(vault).ok()) return BadHost(host);
    info.is_vault = true;
    info.vault_name = std::string(vault);
    return info;
  }
  for (const auto& extra : extra_hosts) {
    if (EqualsIgnoreCase(extra, name)) return info;
  }
  return BadHost(host);
}

bool IsPortalOrigin(std::string_view origin, const HostInfo& request_host,
                    const std::vector<std::string>& extra_hosts) {
  constexpr std::string_view kHttps = "https://";
  if (!origin.starts_with(kHttps)) return false;
  auto h = ParseHost(origin.substr(kHttps.size()), extra_hosts);
  if (!h.ok() || h->is_vault || h->port != request_host.port) return false;
  if (h->name == "localhost" || h->name == "127.0.0.1" || h->name == "[::1]") return true;
  for (const auto& extra : extra_hosts) {
    if (EqualsIgnoreCase(extra, h->name)) return true;
  }
  return false;
}

}  // namespace coffer::api
