// `coffer vault …` (CONTRACT.md "Management plane", "Deleted vaults", "CLI"), shaped like
// `az keyvault`, sent to the running server's ARM endpoints at api-version 2026-02-01:
//
//   vault create --name N [--location L] [-g G] [--subscription S] [--retention-days D]
//                [--enable-purge-protection]               PUT    …/resourceGroups/G/…/vaults/N
//   vault show   --name N [-g G] [--subscription S]          GET    (the vault's id)
//   vault update --name N [-g G] [--subscription S] [--retention-days D]
//                [--enable-purge-protection true] [--enable-rbac-authorization true|false]
//                                                            PATCH  (the vault's id)
//   vault delete --name N [-g G] [--subscription S]          DELETE (the vault's id)
//   vault list   [-g G] [--subscription S]                   GET    …/vaults (every page)
//   vault list-deleted [--subscription S]                    GET    …/deletedVaults
//   vault recover --name N [--location L] [--subscription S] PUT    (vaultId), createMode recover
//   vault purge   --name N [--location L] [--subscription S] POST   …/deletedVaults/N/purge
//
// Vault names are unique across the deployment, so `show`, `update`, `delete`, `recover` and
// `purge` find the vault by name (FindVault, FindDeletedVault) when no resource group or location
// is given; without --subscription they look in every subscription the caller sees, the first dev
// subscription first. Lists print the `value` array, as az does. Every command prints the server's
// JSON and exits 0, or prints `ERROR: <message>` on stderr and exits 1.
//
// Thread-safety: the functions keep no state; AddVaultCommands must be called before parsing.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/management_session.h"

namespace CLI {
class App;
}

namespace coffer::cli {

struct VaultCreateArgs {
  std::string name;
  std::string location = "eastus";
  std::string resource_group = "coffer-dev";
  std::string subscription;  // empty: the first dev subscription
  std::optional<int> retention_days;
  bool purge_protection = false;
};

// Which vault a command means: by name, optionally narrowed to a resource group and a
// subscription (both may be empty).
struct VaultRef {
  std::string name;
  std::string resource_group;
  std::string subscription;
};

// The vault named `name` (ASCII case-insensitive) as the vault list shows it, searched in
// `subscription`, or in every subscription the caller sees when it is empty. NotFound when no
// such vault is visible; the server's errors otherwise.
StatusOr<nlohmann::json> FindVault(ManagementSession& session, const std::string& name,
                                   const std::string& subscription);
// The soft-deleted vault named `name`, searched like FindVault.
StatusOr<nlohmann::json> FindDeletedVault(ManagementSession& session, const std::string& name,
                                          const std::string& subscription);

int VaultCreate(const ClientContext& ctx, const VaultCreateArgs& args);
int VaultShow(const ClientContext& ctx, const VaultRef& vault);
int VaultDelete(const ClientContext& ctx, const VaultRef& vault);
// PATCHes the vault's `properties` with `properties` (the members the options gave).
int VaultUpdate(const ClientContext& ctx, const VaultRef& vault, const nlohmann::json& properties);
// `group` "" lists the whole subscription.
int VaultList(const ClientContext& ctx, const std::string& group, const std::string& subscription);
int VaultListDeleted(const ClientContext& ctx, const std::string& subscription);
// `location` "" recovers into the location the vault was deleted from.
int VaultRecover(const ClientContext& ctx, const VaultRef& vault, const std::string& location);
// `location` "" looks the deleted vault up first. Waits for a 202 to finish (polling its
// Location once a second, at most an hour).
int VaultPurge(const ClientContext& ctx, const VaultRef& vault, const std::string& location);

// Registers `vault …` (with `--data-dir D` on `vault`, accepted anywhere after it). The parsed
// command runs as a CLI11 callback once parsing succeeded and stores its exit code in
// *exit_code, which must outlive the parse.
void AddVaultCommands(CLI::App& app, std::optional<int>* exit_code);

}  // namespace coffer::cli
