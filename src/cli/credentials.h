// Where the `coffer` CLI finds the server and the client it signs in as (CONTRACT.md "CLI"):
//
//   1. the environment, COFFER_URL, COFFER_TENANT_ID, COFFER_CLIENT_ID, COFFER_CLIENT_SECRET
//      and COFFER_CA_FILE: when the first four are set nothing else is read;
//   2. otherwise `--data-dir D` (D/dev-credentials.json) when given, else the profile
//      `coffer login` saved (~/.config/coffer/profile.json), else ./coffer-data's credentials;
//      each COFFER_* variable that is set still replaces its field (the environment wins).
//
// The URL is the server's base URL (dev-credentials.json's managementUrl); the token endpoint is
// under the same origin (dev-credentials.json's authorityHost).
//
// Thread-safety: pure functions apart from reading and writing the files named.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace coffer::cli {

// Where the CLI finds its credentials: `--data-dir` ("" = not given).
struct ClientContext {
  std::string data_dir;
};

struct Credentials {
  std::string base_url;        // https://host:port, no trailing slash
  std::string authority_host;  // where the token endpoint is: base_url unless dev says otherwise
  std::string tenant_id, client_id, client_secret, ca_file;
  std::vector<std::string> subscriptions;  // dev-credentials.json's; none from a profile
  std::string source;                      // what they came from, for messages

  Credentials() = default;
  Credentials(const Credentials&) = default;
  Credentials(Credentials&&) = default;
  Credentials& operator=(const Credentials&) = default;
  Credentials& operator=(Credentials&&) = default;
  ~Credentials();  // clears the secret
};

// Reads an environment variable: std::getenv in the CLI, a map in tests.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup ProcessEnvironment();

// $HOME/.config/coffer/profile.json ("" when HOME is not set).
std::string DefaultProfilePath(const EnvLookup& env);

// The credentials `ctx`, the environment and the profile file give, by the rules above.
// Errors: NotFound when no source has them (the message says how to give them),
// InvalidArgument for a file that is not what it should be or an incomplete set.
StatusOr<Credentials> ResolveCredentials(const ClientContext& ctx, const EnvLookup& env,
                                         const std::string& profile_path);

// Writes `creds` (url, tenantId, clientId, clientSecret, caFile) to `path`, mode 0600, making
// its directory (0700) when missing.
Status SaveProfile(const std::string& path, const Credentials& creds);

}  // namespace coffer::cli
