// Role definitions: Azure's built-in roles, verbatim, and the rule that decides what a role grants.
//
// The catalogue (role_definitions_data.cc) copies Azure's published definitions field for field:
// the GUID `name`, `roleName`, `description`, `actions`, `notActions`, `dataActions`,
// `notDataActions` and, for Key Vault Data Access Administrator, the ABAC `condition` text. The
// grant rule is Azure's: a permission block grants an action when one of its actions (or data
// actions) matches and none of its not-actions does; matching is case-insensitive and `*` matches
// any run of characters, `/` included. A block's condition is evaluated from its own verbatim
// text, so the data and the behaviour cannot drift apart; a condition Coffer cannot parse grants
// nothing (fail closed).
//
// Thread-safety: the catalogue is built once and immutable; every function is safe to call
// concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace coffer::auth {

// Members default to empty (`= {}`), so designated initializers may leave any of them out.
struct RolePermission {
  std::vector<std::string> actions = {}, not_actions = {}, data_actions = {},
                           not_data_actions = {};
  std::string condition = {};          // ABAC condition text, verbatim, "" if none
  std::string condition_version = {};  // e.g. "2.0"
};

struct RoleDefinition {
  std::string id;           // GUID, lower-case (the role definition "name")
  std::string role_name;    // e.g. "Key Vault Secrets User"
  std::string description;  // verbatim from Azure
  std::string role_type = "BuiltInRole";
  std::vector<RolePermission> permissions;
  std::vector<std::string> assignable_scopes;  // {"/"} for built-ins
};

// Every built-in role Coffer knows, in a stable order.
const std::vector<RoleDefinition>& BuiltInRoleDefinitions();
// By GUID, case-insensitive; nullptr if unknown.
const RoleDefinition* FindRoleDefinition(std::string_view guid);
// By role name, case-insensitive; nullptr if unknown.
const RoleDefinition* FindRoleDefinitionByName(std::string_view role_name);

// Azure's action matching: case-insensitive; '*' matches any run of characters including '/'.
bool ActionMatches(std::string_view pattern, std::string_view action);

// Whether `role` grants `action` (a management action if !data_action, else a data action):
// some permission block has a matching action and no matching not-action. When the permission
// block carries a condition (Key Vault Data Access Administrator), the condition must hold for
// `target_role_id`: the role definition GUID being assigned or unassigned by a
// Microsoft.Authorization/roleAssignments write or delete (a full roleDefinitionId path is
// accepted too; its last segment is used). An empty action is never granted.
bool RoleGrants(const RoleDefinition& role, std::string_view action, bool data_action,
                std::string_view target_role_id = "");

// Evaluates an ABAC condition (conditionVersion 2.0) of a role definition for a request doing
// `action` with RoleDefinitionId `target_role_id`. Supports what Azure's built-in role conditions
// use: `!`, `AND`/`&&`, `OR`/`||`, parentheses, `ActionMatches{'pattern'}`, and
// `@Request|@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId]` compared with
// `[ForAnyOfAnyValues:]GuidEquals{…}` or `[ForAnyOfAllValues:]GuidNotEquals{…}`. Anything else,
// or another version, is unparseable and yields false.
bool EvaluateRoleCondition(std::string_view condition, std::string_view condition_version,
                           std::string_view action, std::string_view target_role_id);

}  // namespace coffer::auth
