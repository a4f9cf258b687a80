#include "cli/role_commands.h"

#include <CLI/CLI.hpp>
#include <memory>

#include "auth/principals.h"
#include "cli/vault_commands.h"
#include "core/encoding.h"
#include "crypto/primitives.h"
#include "http/client.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

constexpr std::string_view kSubscriptionsPrefix = "/subscriptions/";
constexpr std::string_view kDefinitions = "/providers/Microsoft.Authorization/roleDefinitions";
constexpr std::string_view kAssignments = "/providers/Microsoft.Authorization/roleAssignments";

// The string `properties.<name>` of an ARM resource, "" when absent.
std::string PropertyField(const json& item, const char* name) {
  return item.is_object() && item.contains("properties") ? StringField(item["properties"], name)
                                                         : "";
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// True when `scope` is `ancestor` or lies below it (both normalized).
bool IsAtOrBelow(std::string_view scope, std::string_view ancestor) {
  if (ancestor == "/" || ancestor.empty()) return true;
  return StartsWithIgnoreCase(scope, ancestor) &&
         (scope.size() == ancestor.size() || scope[ancestor.size()] == '/');
}

// A scope as the server writes it: one leading slash, none at the end.
std::string NormalizeScope(std::string_view scope) {
  while (scope.starts_with('/')) scope.remove_prefix(1);
  while (scope.ends_with('/')) scope.remove_suffix(1);
  return "/" + std::string(scope);
}

// The subscription a scope lies in, "" for the tenant root.
std::string SubscriptionOfScope(std::string_view scope) {
  if (!StartsWithIgnoreCase(scope, kSubscriptionsPrefix)) return "";
  std::string_view rest = scope.substr(kSubscriptionsPrefix.size());
  return std::string(rest.substr(0, rest.find('/')));
}

// The last path segment of a roleDefinitionId (or the GUID itself), lower case.
std::string RoleGuidOf(std::string_view id) {
  size_t slash = id.rfind('/');
  return AsciiLower(slash == std::string_view::npos ? id : id.substr(slash + 1));
}

std::string SubscriptionPath(const std::string& subscription) {
  return subscription.empty() ? "" : std::string(kSubscriptionsPrefix) + subscription;
}

struct ResolvedScope {
  std::string scope;
  bool explicit_scope = false;  // --scope or --vault-name given
};

StatusOr<ResolvedScope> ResolveScope(ManagementSession& s, const RoleScopeArgs& a) {
  if (!a.scope.empty()) return ResolvedScope{NormalizeScope(a.scope), true};
  if (a.vault_name.empty()) {
    return ResolvedScope{SubscriptionPath(s.SubscriptionOr(a.subscription)), false};
  }
  ASSIGN_OR_RETURN(json vault, FindVault(s, a.vault_name, a.subscription));
  std::string scope = NormalizeScope(StringField(vault, "id"));
  for (auto [kind, name] : {std::pair{"secrets", &a.secret}, std::pair{"keys", &a.key},
                            std::pair{"certificates", &a.certificate}}) {
    if (!name->empty()) scope += "/" + std::string(kind) + "/" + http::PercentEncode(*name);
  }
  return ResolvedScope{scope, true};
}

// The GUID of `role`: a GUID or roleDefinitionId as given, a role name looked up among the
// definitions of `subscription` (ASCII case-insensitive, as az does).
StatusOr<std::string> ResolveRole(ManagementSession& s, const std::string& role,
                                  const std::string& subscription) {
  if (auth::IsGuid(RoleGuidOf(role)) &&
      (auth::IsGuid(role) || role.find("/roleDefinitions/") != std::string::npos)) {
    return RoleGuidOf(role);
  }
  ASSIGN_OR_RETURN(json definitions, s.ListAll(WithApiVersion(
                                         SubscriptionPath(subscription) + std::string(kDefinitions),
                                         kAuthorizationApiVersion)));
  for (const json& d : definitions) {
    if (EqualsIgnoreCase(PropertyField(d, "roleName"), role))
      return AsciiLower(StringField(d, "name"));
  }
  return NotFoundError("Role '" + role +
                       "' doesn't exist; `coffer role definition list` shows the roles.");
}

std::string DefinitionId(const std::string& subscription, const std::string& guid) {
  return SubscriptionPath(subscription) + std::string(kDefinitions) + "/" + guid;
}

std::string AssignmentsListPath(const std::string& scope, const std::string& assignee) {
  std::string path = (scope == "/" ? "" : scope) + std::string(kAssignments);
  if (!assignee.empty()) {
    path += "?$filter=" + http::PercentEncode("principalId eq '" + assignee + "'");
  }
  return WithApiVersion(path, kAuthorizationApiVersion);
}

StatusOr<json> DeleteMatching(ManagementSession& s, const RoleAssignmentArgs& a) {
  ASSIGN_OR_RETURN(ResolvedScope where, ResolveScope(s, a.where));
  std::string subscription = SubscriptionOfScope(where.scope);
  std::string role_guid;
  if (!a.role.empty()) {
    ASSIGN_OR_RETURN(role_guid, ResolveRole(s, a.role, subscription));
  }
  ASSIGN_OR_RETURN(json listed, s.ListAll(AssignmentsListPath(where.scope, a.assignee)));
  std::vector<std::string> ids;
  for (const json& item : listed) {
    std::string scope = NormalizeScope(PropertyField(item, "scope"));
    bool in_scope = where.explicit_scope ? EqualsIgnoreCase(scope, where.scope)
                                         : IsAtOrBelow(scope, where.scope);
    if (!in_scope) continue;
    if (!a.assignee.empty() && !EqualsIgnoreCase(PropertyField(item, "principalId"), a.assignee)) {
      continue;
    }
    if (!role_guid.empty() && RoleGuidOf(PropertyField(item, "roleDefinitionId")) != role_guid) {
      continue;
    }
    ids.push_back(StringField(item, "id"));
  }
  if (ids.empty()) {
    return NotFoundError("no role assignment matches" +
                         (a.assignee.empty() ? "" : " assignee " + a.assignee) +
                         (a.role.empty() ? "" : " role '" + a.role + "'") + " at " + where.scope +
                         (where.explicit_scope ? "" : " or below"));
  }
  json deleted = json::array();
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(json one, s.Request("DELETE", WithApiVersion(id, kAuthorizationApiVersion)));
    deleted.push_back(std::move(one));
  }
  return deleted;
}

}  // namespace

int RoleDefinitionList(const ClientContext& ctx, const std::string& role_name,
                       const std::string& subscription) {
  return RunWithSession(ctx, [&](ManagementSession& s) {
    std::string path = SubscriptionPath(s.SubscriptionOr(subscription)) + std::string(kDefinitions);
    if (!role_name.empty()) {
      path += "?$filter=" + http::PercentEncode("roleName eq '" + role_name + "'");
    }
    return s.ListAll(WithApiVersion(path, kAuthorizationApiVersion));
  });
}

int RoleAssignmentCreate(const ClientContext& ctx, const RoleAssignmentArgs& args) {
  return RunWithSession(ctx, [&](ManagementSession& s) -> StatusOr<json> {
    ASSIGN_OR_RETURN(ResolvedScope where, ResolveScope(s, args.where));
    std::string subscription = SubscriptionOfScope(where.scope);
    ASSIGN_OR_RETURN(std::string role_guid, ResolveRole(s, args.role, subscription));
    json props = {{"roleDefinitionId", DefinitionId(subscription, role_guid)},
                  {"principalId", args.assignee},
                  {"principalType", "ServicePrincipal"}};
    if (!args.description.empty()) props["description"] = args.description;
    std::string name = auth::NewGuid(crypto::SystemRandom());
    std::string path =
        (where.scope == "/" ? "" : where.scope) + std::string(kAssignments) + "/" + name;
    return s.Request("PUT", WithApiVersion(path, kAuthorizationApiVersion),
                     json{{"properties", props}});
  });
}

int RoleAssignmentList(const ClientContext& ctx, const RoleAssignmentArgs& args) {
  return RunWithSession(ctx, [&](ManagementSession& s) -> StatusOr<json> {
    ASSIGN_OR_RETURN(ResolvedScope where, ResolveScope(s, args.where));
    ASSIGN_OR_RETURN(json listed, s.ListAll(AssignmentsListPath(where.scope, args.assignee)));
    if (args.role.empty()) return listed;
    ASSIGN_OR_RETURN(std::string role_guid,
                     ResolveRole(s, args.role, SubscriptionOfScope(where.scope)));
    json out = json::array();
    for (json& item : listed) {
      if (RoleGuidOf(PropertyField(item, "roleDefinitionId")) == role_guid) {
        out.push_back(std::move(item));
      }
    }
    return out;
  });
}

int RoleAssignmentDelete(const ClientContext& ctx, const RoleAssignmentArgs& args) {
  return RunWithSession(ctx, [&](ManagementSession& s) -> StatusOr<json> {
    if (args.ids.empty()) return DeleteMatching(s, args);
    json deleted = json::array();
    for (const std::string& id : args.ids) {
      ASSIGN_OR_RETURN(json one, s.Request("DELETE", WithApiVersion(NormalizeScope(id),
                                                                    kAuthorizationApiVersion)));
      deleted.push_back(std::move(one));
    }
    return deleted;
  });
}

void AddRoleCommands(CLI::App& app, std::optional<int>* exit_code) {
  struct Args {
    ClientContext ctx;
    RoleAssignmentArgs assignment;
    std::string role_name, subscription;
  };
  auto args = std::make_shared<Args>();
  auto run = [args, exit_code](CLI::App* c, auto fn) {
    c->callback([args, exit_code, fn] { *exit_code = fn(*args); });
  };
  RoleScopeArgs& where = args->assignment.where;

  auto* role = app.add_subcommand("role", "Role definitions and assignments (like `az role`)");
  role->require_subcommand(1);
  role->fallthrough();  // so `--data-dir` may follow the leaf command
  role->add_option("--data-dir", args->ctx.data_dir, "Data dir holding dev-credentials.json");

  auto* definition = role->add_subcommand("definition", "Azure's built-in role definitions");
  definition->require_subcommand(1);
  definition->fallthrough();
  auto* def_list = definition->add_subcommand("list", "List role definitions");
  def_list->add_option("--name", args->role_name,
                       "Only the role of this name (e.g. \"Key Vault Reader\")");
  def_list->add_option("--subscription", args->subscription,
                       "Subscription id (default: the first dev one)");
  run(def_list, [](Args& a) { return RoleDefinitionList(a.ctx, a.role_name, a.subscription); });

  auto* assignment = role->add_subcommand("assignment", "Grant, list and revoke roles");
  assignment->require_subcommand(1);
  assignment->fallthrough();
  auto scope_options = [&where](CLI::App* c) {
    auto* scope = c->add_option("--scope", where.scope,
                                "Scope, e.g. /subscriptions/S/resourceGroups/G (default: the "
                                "subscription)");
    auto* vault = c->add_option("--vault-name", where.vault_name, "Scope: this vault (by name)");
    scope->excludes(vault);
    std::vector<CLI::Option*> objects;
    for (auto [flag, into] : {std::pair{"--secret", &where.secret}, std::pair{"--key", &where.key},
                              std::pair{"--certificate", &where.certificate}}) {
      auto* o =
          c->add_option(flag, *into, std::string("Scope: this ") + (flag + 2) + " of --vault-name");
      o->needs(vault);
      for (auto* other : objects) o->excludes(other);
      objects.push_back(o);
    }
    c->add_option("--subscription", where.subscription,
                  "Subscription id (default: the first dev one)");
    return std::pair{scope, vault};
  };
  auto assignee = [args](CLI::App* c) {
    return c->add_option("--assignee,--assignee-object-id", args->assignment.assignee,
                         "Object id of the service principal");
  };
  auto role_option = [args](CLI::App* c) {
    return c->add_option("--role", args->assignment.role, "Role name, GUID or roleDefinitionId");
  };

  auto* create = assignment->add_subcommand("create", "Assign a role to a principal at a scope");
  assignee(create)->required();
  role_option(create)->required();
  scope_options(create);
  create->add_option("--description", args->assignment.description, "Why it is assigned");
  run(create, [](Args& a) { return RoleAssignmentCreate(a.ctx, a.assignment); });

  auto* list = assignment->add_subcommand("list", "List assignments at, above and below a scope");
  assignee(list);
  role_option(list);
  scope_options(list);
  run(list, [](Args& a) { return RoleAssignmentList(a.ctx, a.assignment); });

  auto* del = assignment->add_subcommand("delete", "Remove role assignments");
  auto* del_assignee = assignee(del);
  auto* del_role = role_option(del);
  auto [del_scope, del_vault] = scope_options(del);
  auto* ids =
      del->add_option("--ids", args->assignment.ids, "Full ids of assignments to delete")
          ->check(CLI::Validator(
              [](std::string& id) -> std::string {
                if (id.find(std::string(kAssignments) + "/") != std::string::npos) return "";
                return "not a role assignment id (…" + std::string(kAssignments) + "/<name>)";
              },
              "ASSIGNMENT_ID"));
  for (auto* o : {del_assignee, del_role, del_scope, del_vault}) ids->excludes(o);
  del->callback([args, exit_code] {
    const RoleAssignmentArgs& a = args->assignment;
    if (a.ids.empty() && a.assignee.empty() && a.role.empty()) {
      throw CLI::RequiredError("--ids, or --assignee and/or --role,");
    }
    *exit_code = RoleAssignmentDelete(args->ctx, a);
  });
}

}  // namespace coffer::cli
