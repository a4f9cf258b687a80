// One connection of the `coffer` CLI: the server's base URL and CA from the credentials
// credentials.h finds (environment, --data-dir, profile), a token obtained with them, and the
// requests every command file sends with it (CONTRACT.md "CLI"). The token's audience is the
// management plane's (ARM requests, the default) or the data plane's (requests to vault hosts,
// see VaultSession).
//
// Errors come back as Status: the server's own message when it refuses (an ARM or Key Vault
// error envelope's `error.message`, or an OAuth `error_description`), with the code that
// matches the HTTP status (400 InvalidArgument, 403 PermissionDenied, 404 NotFound, 409
// AlreadyExists, …) and the envelope's `error.code` as the reason. `ReportError` prints such a
// Status as az does, `ERROR: <message>` on stderr, and gives exit code 1.
//
// A 429 is retried after its Retry-After (1 s when absent, at most 60 s), up to 5 times.
// Response bodies are cleared once parsed: some carry a client secret (principal create).
//
// Thread-safety: a session is used by one thread; it holds no process-wide state.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/credentials.h"
#include "core/status.h"
#include "http/client.h"

namespace coffer::cli {

// API versions the CLI sends.
inline constexpr const char* kArmApiVersion = "2026-02-01";
inline constexpr const char* kAuthorizationApiVersion = "2022-04-01";
inline constexpr const char* kSubscriptionsApiVersion = "2022-12-01";

// Which plane a session's token is for (CONTRACT.md "Identity and tokens": not interchangeable).
enum class Audience { kManagement, kDataPlane };

// `path` with `api-version=<version>` appended as its first or next query parameter.
std::string WithApiVersion(const std::string& path, const char* version);

class ManagementSession {
 public:
  // Finds the credentials for `ctx` (ResolveCredentials) and obtains a token for `audience`.
  // Errors: those of ResolveCredentials, Unavailable (server unreachable), Unauthenticated (the
  // token endpoint refused the credentials).
  static StatusOr<ManagementSession> Connect(const ClientContext& ctx,
                                             Audience audience = Audience::kManagement);
  // The same with credentials already found (`coffer login` checks them this way).
  static StatusOr<ManagementSession> Connect(const Credentials& creds, Audience audience);

  ManagementSession(ManagementSession&&) = default;
  ManagementSession& operator=(ManagementSession&&) = default;
  ~ManagementSession();

  // Sends one request. `path_and_query` is either a path under the base URL (starting with
  // '/', carrying its own api-version) or an absolute https URL (a nextLink or a Location).
  // Returns the parsed body: null for an empty one. Errors: see the file comment; Internal
  // when a 2xx body is not JSON.
  StatusOr<nlohmann::json> Request(const std::string& method, const std::string& path_and_query,
                                   const std::optional<nlohmann::json>& body = std::nullopt);

  // Like Request, but also the HTTP status and the Location header (long-running operations).
  struct Answer {
    int status = 0;
    std::string location;
    nlohmann::json body;
  };
  StatusOr<Answer> Send(const std::string& method, const std::string& path_and_query,
                        const std::optional<nlohmann::json>& body = std::nullopt);

  // Sends `bytes` as application/octet-stream (none when empty, except for PUT and POST) and
  // returns the answer's body as it is: whole-vault archives. `timeout` bounds the exchange.
  // Refusals as for Request.
  StatusOr<std::string> SendBytes(const std::string& method, const std::string& path_and_query,
                                  std::string bytes, std::chrono::seconds timeout);

  // GETs a list and follows its nextLinks; returns the concatenated `value` arrays.
  StatusOr<nlohmann::json> ListAll(const std::string& path_and_query);

  const std::string& tenant_id() const { return tenant_id_; }
  // The server's base URL, e.g. https://127.0.0.1:8443 (no trailing slash).
  const std::string& base_url() const { return base_url_; }
  // The subscriptions of dev-credentials.json (the first is where the dev vault lives); with
  // other credentials, those the server lists for the caller.
  const std::vector<std::string>& dev_subscriptions() const { return dev_subscriptions_; }
  // `subscription`, or the first dev subscription when it is empty.
  std::string SubscriptionOr(const std::string& subscription) const;
  // Every subscription the caller may look in: the dev ones first, then the others the server
  // lists for the caller (`subscription create` adds some).
  StatusOr<std::vector<std::string>> AllSubscriptions();

 private:
  ManagementSession() = default;

  // Completes `req` (base URL, CA, token), sends it with the 429 retries and returns the
  // answer, or the refusal of a status >= 400. The request body is cleared.
  StatusOr<http::ClientResponse> Exchange(http::ClientRequest& req);

  std::string base_url_;
  std::string ca_file_;
  std::string token_;
  std::string tenant_id_;
  std::vector<std::string> dev_subscriptions_;
};

// Prints `ERROR: <message>` on stderr; returns 1, the exit code of a refusal.
int ReportError(const Status& status);

// Prints `j` on stdout in the --output format (output_format.h; nothing for null); returns 0.
// The printed text is cleared afterwards, as it may hold a client secret.
int PrintJson(const nlohmann::json& j);

// Exit code of a command that returns JSON: prints it (0) or reports the error (1).
int PrintOrReport(const StatusOr<nlohmann::json>& result);

// Connects with `ctx`, runs `command(session)` (which returns StatusOr<json>) and prints its
// answer: the body of most commands.
template <typename Command>
int RunWithSession(const ClientContext& ctx, Command command) {
  auto session = ManagementSession::Connect(ctx);
  if (!session.ok()) return ReportError(session.status());
  return PrintOrReport(command(*session));
}

// The string member `name` of a JSON object; "" when `j` is no object or the member is absent
// or not a string.
std::string StringField(const nlohmann::json& j, const char* name);

}  // namespace coffer::cli
