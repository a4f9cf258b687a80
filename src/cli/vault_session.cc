#include "cli/vault_session.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <thread>

namespace coffer::cli {

using nlohmann::json;

bool IsVaultHostLabel(const std::string& name) {
  return !name.empty() && name.size() <= 24 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

CLI::Option* AddVaultNameOption(CLI::App* command, std::string* into) {
  return CheckVaultName(command->add_option("--vault-name", *into, "Vault name")->required());
}

CLI::Option* CheckVaultName(CLI::Option* option) {
  return option->check(CLI::Validator(
          [](std::string& name) -> std::string {
            return IsVaultHostLabel(name) ? "" : "not a vault name (letters, digits, hyphens)";
          },
          "VAULT"));
}

StatusOr<VaultSession> VaultSession::Connect(const ClientContext& ctx, const std::string& vault) {
  if (!IsVaultHostLabel(vault)) {
    return InvalidArgumentError("'" + vault + "' is not a vault name (letters, digits, hyphens)");
  }
  ASSIGN_OR_RETURN(ManagementSession session,
                   ManagementSession::Connect(ctx, Audience::kDataPlane));
  // The port of https://host[:port] or https://[v6]:port; the vault host replaces the host.
  const std::string& base = session.base_url();
  constexpr std::string_view kScheme = "https://";
  if (!base.starts_with(kScheme)) {
    return InvalidArgumentError("the server's base URL '" + base + "' is not https");
  }
  std::string authority = base.substr(kScheme.size());
  authority = authority.substr(0, authority.find('/'));
  size_t host_end = authority.starts_with('[') ? authority.find(']') : 0;
  size_t colon = authority.find(':', host_end == std::string::npos ? 0 : host_end);
  std::string port = colon == std::string::npos ? "" : authority.substr(colon);
  return VaultSession(std::move(session), std::string(kScheme) + vault + ".vault.localhost" + port);
}

std::string VaultSession::Url(const std::string& path) const {
  return WithApiVersion(vault_url_ + path, kVaultApiVersion);
}

StatusOr<json> VaultSession::Request(const std::string& method, const std::string& path,
                                     const std::optional<json>& body) {
  return session_.Request(method, Url(path), body);
}

StatusOr<std::string> VaultSession::SendBytes(const std::string& method, const std::string& path,
                                              std::string bytes, std::chrono::seconds timeout) {
  return session_.SendBytes(method, Url(path), std::move(bytes), timeout);
}

StatusOr<json> VaultSession::ListAll(const std::string& path) {
  return session_.ListAll(Url(path));
}

StatusOr<json> PollUntilDone(const std::function<StatusOr<json>()>& get,
                             const std::function<bool(const json&)>& done,
                             std::chrono::milliseconds longest_pause, std::chrono::seconds limit,
                             const std::string& still_running) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::chrono::milliseconds pause(100);
  while (true) {
    ASSIGN_OR_RETURN(json answer, get());
    if (done(answer)) return answer;
    if (std::chrono::steady_clock::now() + pause > deadline) return UnavailableError(still_running);
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, longest_pause);
  }
}

}  // namespace coffer::cli
