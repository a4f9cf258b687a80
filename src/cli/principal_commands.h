// `coffer principal …` and `coffer subscription …`: tenant administration (CONTRACT.md
// "Principals", "Management plane") through the running server's HTTP endpoints, never the
// database, with a management-audience token from <data-dir>/dev-credentials.json, as the
// vault commands get theirs.
//
//   principal create --display-name N        POST   /_coffer/principals
//   principal list                           GET    /_coffer/principals
//   principal show --id OID                  GET    /_coffer/principals/{oid}
//   principal delete --id OID                DELETE /_coffer/principals/{oid}
//   principal secret add --id OID            POST   /_coffer/principals/{oid}/secrets
//   principal secret revoke --id OID --key-id K  DELETE …/secrets/{keyId}
//   subscription create --display-name N     POST   /_coffer/subscriptions
//   subscription list                        GET    /subscriptions?api-version=2022-12-01
//
// The server's JSON goes to stdout (lists as a bare array, as az prints them; nothing for a
// 204); a refusal prints `ERROR: <server message>` on stderr and exits 1.
//
// Thread-safety: the functions keep no state; AddPrincipalCommands must be called before
// parsing.
#pragma once

#include <optional>
#include <string>

#include "cli/management_session.h"

namespace CLI {
class App;
}

namespace coffer::cli {

int PrincipalCreate(const ClientContext& ctx, const std::string& display_name);
int PrincipalList(const ClientContext& ctx);
int PrincipalShow(const ClientContext& ctx, const std::string& object_id);
int PrincipalDelete(const ClientContext& ctx, const std::string& object_id);
int PrincipalSecretAdd(const ClientContext& ctx, const std::string& object_id);
int PrincipalSecretRevoke(const ClientContext& ctx, const std::string& object_id,
                          const std::string& key_id);
int SubscriptionCreate(const ClientContext& ctx, const std::string& display_name);
int SubscriptionList(const ClientContext& ctx);

// Registers `principal …` and `subscription …` (each with `--data-dir D`) on `app`. The parsed
// command runs as a CLI11 callback once parsing succeeded and stores its exit code in
// *exit_code, which must outlive the parse; it stays nullopt when neither was given.
void AddPrincipalCommands(CLI::App& app, std::optional<int>* exit_code);

}  // namespace coffer::cli
