// `coffer role …` (CONTRACT.md "Authorization", "CLI"), shaped like `az role`, sent to the
// running server's ARM endpoints at api-version 2022-04-01:
//
//   role definition list [--name ROLE] [--subscription S]
//       GET /subscriptions/S/providers/Microsoft.Authorization/roleDefinitions
//           [?$filter=roleName eq 'ROLE']
//   role assignment create --assignee OID --role ROLE [SCOPE] [--description D]
//       PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{new guid}
//   role assignment list [--assignee OID] [--role ROLE] [SCOPE]
//       GET {scope}/providers/Microsoft.Authorization/roleAssignments
//           [?$filter=principalId eq 'OID']
//   role assignment delete --ids ID… | (--assignee OID and/or --role ROLE) [SCOPE]
//       DELETE of each matching assignment
//
// SCOPE is `--scope S`, or `--vault-name V` with at most one of `--secret N`, `--key N`,
// `--certificate N` (the vault is found by name, see FindVault), each with an optional
// `--subscription S`; without any, the subscription (--subscription or the first dev one).
// ROLE is a role name (matched case-insensitively against the definitions, as az does), a role
// GUID or a roleDefinitionId. Lists print their `value` array; `delete` prints the assignments it
// removed. A list shows assignments at, above and below the scope (the server's semantics);
// `delete` by assignee/role removes the matches at exactly the given scope, or anywhere in the
// subscription when no scope was given, and fails (exit 1) when nothing matches.
//
// Thread-safety: the functions keep no state; AddRoleCommands must be called before parsing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/management_session.h"

namespace CLI {
class App;
}

namespace coffer::cli {

// Where a role assignment command acts. Empty strings are "not given".
struct RoleScopeArgs {
  std::string scope;
  std::string vault_name;
  std::string secret, key, certificate;
  std::string subscription;
};

struct RoleAssignmentArgs {
  std::string assignee;  // the principal's object id
  std::string role;
  std::string description;
  std::vector<std::string> ids;  // delete: full assignment ids
  RoleScopeArgs where;
};

int RoleDefinitionList(const ClientContext& ctx, const std::string& role_name,
                       const std::string& subscription);
int RoleAssignmentCreate(const ClientContext& ctx, const RoleAssignmentArgs& args);
int RoleAssignmentList(const ClientContext& ctx, const RoleAssignmentArgs& args);
int RoleAssignmentDelete(const ClientContext& ctx, const RoleAssignmentArgs& args);

// Registers `role …` (with `--data-dir D` on `role`, accepted anywhere after it). The parsed
// command runs as a CLI11 callback once parsing succeeded and stores its exit code in
// *exit_code, which must outlive the parse. Usage errors (a --secret without --vault-name, a
// delete that names nothing) are CLI11 errors, so they exit 2 like any other.
void AddRoleCommands(CLI::App& app, std::optional<int>* exit_code);

}  // namespace coffer::cli
