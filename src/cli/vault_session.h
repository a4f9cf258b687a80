// One data-plane connection of the `coffer` CLI to one vault: a data-plane token (see
// ManagementSession, whose credentials, errors and 429 retries it shares) and the vault's own
// host, https://<vault>.vault.localhost:<port of the server's base URL>. The HTTP client
// connects `*.localhost` names to 127.0.0.1 itself and sends the vault host as SNI and `Host`,
// so no resolver set-up is needed (CONTRACT.md "CLI").
//
// Requests carry api-version 7.6. A vault that does not exist answers 404 `VaultNotFound`,
// reported like any other refusal.
//
// Thread-safety: a session is used by one thread; it holds no process-wide state.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/management_session.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace coffer::cli {

inline constexpr const char* kVaultApiVersion = "7.6";

// Whether `name` can be a vault's host label (letters, digits and hyphens, 1-24 characters):
// what `--vault-name` is checked against before anything is sent.
bool IsVaultHostLabel(const std::string& name);

// Adds the required `--vault-name` option to a data-plane command, checked by IsVaultHostLabel
// (a bad name is a usage error).
CLI::Option* AddVaultNameOption(CLI::App* command, std::string* into);
// Checks `option`'s values with IsVaultHostLabel (a bad name is a usage error).
CLI::Option* CheckVaultName(CLI::Option* option);

class VaultSession {
 public:
  // Connects with `ctx`'s credentials for the data plane of vault `vault`. Errors: those of
  // ManagementSession::Connect; InvalidArgument for a base URL without an https origin.
  static StatusOr<VaultSession> Connect(const ClientContext& ctx, const std::string& vault);

  // Sends `method` to `path` (under the vault, starting with '/', without api-version; it may
  // carry other query parameters). Returns the parsed body (null for an empty one) or the
  // server's refusal.
  StatusOr<nlohmann::json> Request(const std::string& method, const std::string& path,
                                   const std::optional<nlohmann::json>& body = std::nullopt);

  // Sends `bytes` to `path` as application/octet-stream and returns the answer's body as it is
  // (whole-vault archives); see ManagementSession::SendBytes.
  StatusOr<std::string> SendBytes(const std::string& method, const std::string& path,
                                  std::string bytes, std::chrono::seconds timeout);

  // GETs a list at `path` and follows its nextLinks; returns the concatenated `value` arrays.
  StatusOr<nlohmann::json> ListAll(const std::string& path);

  // https://<vault>.vault.localhost[:port]
  const std::string& vault_url() const { return vault_url_; }

 private:
  VaultSession(ManagementSession session, std::string vault_url)
      : session_(std::move(session)), vault_url_(std::move(vault_url)) {}

  std::string Url(const std::string& path) const;

  ManagementSession session_;
  std::string vault_url_;
};

// Long-running operations: GETs with `get` until `done(answer)`, pausing 100 ms at first and
// doubling up to `longest_pause`; returns the answer that is done, the first error of `get`, or
// Unavailable(`still_running`) once `limit` has passed.
StatusOr<nlohmann::json> PollUntilDone(const std::function<StatusOr<nlohmann::json>()>& get,
                                       const std::function<bool(const nlohmann::json&)>& done,
                                       std::chrono::milliseconds longest_pause,
                                       std::chrono::seconds limit,
                                       const std::string& still_running);

// Connects to vault `vault` with `ctx`, runs `command(session)` (which returns StatusOr<json>)
// and prints its answer (0) or the refusal (1).
template <typename Command>
int RunWithVault(const ClientContext& ctx, const std::string& vault, Command command) {
  auto session = VaultSession::Connect(ctx, vault);
  if (!session.ok()) return ReportError(session.status());
  return PrintOrReport(command(*session));
}

}  // namespace coffer::cli
